from django.urls import path

from chartdesk.billing import correction_views, desk_views, views
from chartdesk.billing.inquiries import views as inquiry_views

urlpatterns = [
    path("", views.home_view, name="billing-home"),
    path("encounter/<int:encounter_id>/charges/", views.encounter_charges_view, name="billing-encounter-charges"),
    path("encounter/<int:encounter_id>/claim/", views.encounter_claim_view, name="billing-encounter-claim"),
    path("charge/<int:charge_id>/", correction_views.charge_view, name="billing-charge"),
    path("coverage/<int:coverage_id>/", correction_views.coverage_view, name="billing-coverage"),
    path("patient/<int:patient_id>/", views.account_view, name="billing-account"),
    path("claims/", views.claims_view, name="billing-claims"),
    path("claims/create/", views.create_claims_view, name="billing-create-claims"),
    path("claim/<int:claim_id>/", views.claim_view, name="billing-claim"),
    path("claims/create-facility/", views.create_facility_claims_view, name="billing-create-facility-claims"),
    path("claim/<int:claim_id>/cms1500.pdf", views.claim_cms1500_view, name="billing-claim-cms1500"),
    path("claim/<int:claim_id>/ub04.pdf", views.claim_ub04_view, name="billing-claim-ub04"),
    path("batches/", views.batches_view, name="billing-batches"),
    path("batch/<int:batch_id>/", views.batch_view, name="billing-batch"),
    path("batch/<int:batch_id>/837/", views.batch_download_view, name="billing-batch-download"),
    path("setup/", desk_views.setup_view, name="billing-setup"),
    path("remittances/", desk_views.remittances_view, name="billing-remittances"),
    path("held/", desk_views.held_payments_view, name="billing-held"),
    path("held/<int:held_payment_id>/", desk_views.held_payment_view, name="billing-held-payment"),
    path("rejections/", desk_views.rejections_view, name="billing-rejections"),
    path("denials/", desk_views.denials_view, name="billing-denials"),
    path("denial/<int:denial_id>/", desk_views.denial_view, name="billing-denial"),
    path("denial/<int:denial_id>/appeal.pdf", desk_views.appeal_letter_view, name="billing-appeal-letter"),
    path("aging/", desk_views.aging_view, name="billing-aging"),
    path("timely-filing/", desk_views.timely_filing_view, name="billing-timely-filing"),
    path("statements/", desk_views.statements_view, name="billing-statements"),
    path("statements/<int:statement_batch_id>/pdf/", desk_views.statement_batch_pdf_view, name="billing-statement-pdf"),
    path("eligibility/", inquiry_views.eligibility_view, name="billing-eligibility"),
    path("patient/<int:patient_id>/eligibility/", inquiry_views.check_coverage_view, name="billing-check-eligibility"),
    path("claim-status/", inquiry_views.claim_status_view, name="billing-claim-status"),
    path("inquiry/<int:inquiry_id>/", inquiry_views.inquiry_download_view, name="billing-inquiry-download"),
]
