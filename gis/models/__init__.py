"""ORM mapping of the schema the migrations create: the network (:mod:`gis.models.network`) and
inspections, compliance and users (:mod:`gis.models.inspections`). One ``Base.metadata``."""

from gis.models.inspections import (
    ApiToken,
    AuditEntry,
    Campaign,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionResult,
    PenaltyDecision,
    Photo,
    PlacementReport,
    User,
    Violation,
    campaign_communes,
    campaign_inspectors,
    campaign_operators,
    penalty_violations,
)
from gis.models.network import (
    SRID,
    AdminUnit,
    AdminUnitCrosswalk,
    Base,
    CableRoute,
    CableSegment,
    ImportRun,
    Operator,
    SegmentState,
    Structure,
    UndergroundingPlan,
    plan_routes,
    structure_sharers,
)

__all__ = [
    "SRID", "AdminUnit", "AdminUnitCrosswalk", "ApiToken", "AuditEntry", "Base", "CableRoute",
    "CableSegment", "Campaign", "ChecklistItem", "ChecklistVersion", "ImportRun", "Inspection",
    "InspectionResult", "Operator", "PenaltyDecision", "Photo", "PlacementReport", "SegmentState",
    "Structure", "UndergroundingPlan", "User", "Violation", "campaign_communes",
    "campaign_inspectors", "campaign_operators", "penalty_violations", "plan_routes",
    "structure_sharers",
]
