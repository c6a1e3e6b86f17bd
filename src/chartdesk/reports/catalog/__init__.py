"""The HIM reports, one module each; importing this package registers them (framework.register)."""

from chartdesk.reports.catalog import coding, delinquency, dnfb, indexes, revenue, roi_turnaround

__all__ = ["coding", "delinquency", "dnfb", "indexes", "revenue", "roi_turnaround"]
