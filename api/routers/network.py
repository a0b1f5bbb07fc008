"""Placeholder: filled in by the network work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
