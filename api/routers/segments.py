"""Placeholder: filled in by the segments work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
