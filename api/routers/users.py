"""Placeholder: filled in by the users work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
