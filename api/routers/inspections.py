"""Placeholder: filled in by the inspections work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
