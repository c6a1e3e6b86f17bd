from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "chartdesk.patients"
    label = "patients"
    verbose_name = "Master patient index"

    def ready(self) -> None:
        from chartdesk.core.registry import register_demo_builder, register_demo_census
        from chartdesk.patients.demo import register_demo_patients, restrict_demo_patients
        from chartdesk.patients.models import Patient

        register_demo_builder("patients", 20, register_demo_patients)
        register_demo_builder("restrictions", 40, restrict_demo_patients)
        register_demo_census("patients", Patient.objects.count)

        from chartdesk.audit.reports import register_patient_index
        from chartdesk.patients.access import indexed_patient

        register_patient_index(indexed_patient)  # the audit reports find patients through it

        from chartdesk.patients.merging import KEEP, register_merge_policy
        from chartdesk.patients.models import NameUse

        # The merge history and the chain of merges stay where they were written.
        register_merge_policy("patients.MergeEvent", "survivor", KEEP)
        register_merge_policy("patients.MergeEvent", "retired", KEEP)
        register_merge_policy("patients.Patient", "merged_into", KEEP)
        # A duplicate pair names the two charts it was about, whatever is decided later.
        register_merge_policy("patients.DuplicateCandidate", "patient_low", KEEP)
        register_merge_policy("patients.DuplicateCandidate", "patient_high", KEEP)
        # A break-the-glass session opened one chart for a few minutes; it must not open another.
        register_merge_policy("patients.BreakTheGlassAccess", "patient", KEEP)
        # The retired legal name stays on the retired record (the merge adds it to the survivor as
        # an alias); every other name moves.
        register_merge_policy("patients.PatientName", "patient",
                              lambda rows: rows.exclude(use=NameUse.OFFICIAL, active=True))
