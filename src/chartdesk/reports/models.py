"""The reports app writes nothing; this model only carries its permissions (Django ties permissions
to a model). It has no table (managed = False), so no row can ever be written to it."""

from __future__ import annotations

from django.db import models


class DepartmentReports(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "department report"
        permissions = [
            ("view_department_reports", "See the HIM department's reports, plots, drill-downs and exports"),
        ]

    def __str__(self) -> str:
        return "department reports"
