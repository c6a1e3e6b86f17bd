"""Training mode: courses, sandboxes of synthetic patients, and graded exercises done on the real desk."""
