"""Placeholder: filled in by the campaigns work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
