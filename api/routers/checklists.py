"""Placeholder: filled in by the checklists work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
