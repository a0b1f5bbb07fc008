"""Placeholder: filled in by the penalties work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
