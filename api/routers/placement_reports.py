"""Placeholder: filled in by the placement_reports work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
