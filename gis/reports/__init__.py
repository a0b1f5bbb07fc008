"""Figures for the dashboards and the annual report.

Sums and groupings run in PostgreSQL; the compliance and violation states over time are the
Python rules of :mod:`gis.compliance.rules` applied to facts read once (see
:mod:`~gis.reports.compliance_rate`), which is 10 times faster than one query per date.

Every figure reads the session it is given, so row-level security applies: an operator's user
gets its own operator's figures only. Lengths are kilometres summed from the stored geodesic
``length_m`` (metres on the WGS 84 ellipsoid); dates are local calendar dates in Vietnam
(Asia/Ho_Chi_Minh), and a figure "on D" is the state at the end of day D.

Modules: :mod:`~gis.reports.scope` (operator/commune filter) and :mod:`~gis.reports.periods`
(which dates), :mod:`~gis.reports.network` (km underground / overhead / tidied over time),
:mod:`~gis.reports.plans` (plan targets beside what was achieved), :mod:`~gis.reports.inspections`
(visits per month), :mod:`~gis.reports.compliance_rate`, :mod:`~gis.reports.enforcement`
(violations, penalty decisions), :mod:`~gis.reports.dashboard` and :mod:`~gis.reports.annual`
(the two reports) and :mod:`~gis.reports.xlsx` (the annual report as a workbook).
"""
