"""Placeholder: filled in by the violations work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
