"""The specialist's recorded decisions on a request (decisions.py): a category withheld keeps its
documents out of the release even where the rules would let them go, and nothing is recorded on a
closed request."""

from __future__ import annotations

import pytest

from chartdesk.core.errors import ChartdeskError
from chartdesk.disclosures.actions import do_label_document, do_log_request
from chartdesk.disclosures.decisions import do_deny_with_reasons, do_quote_fee, do_set_withheld_categories
from chartdesk.disclosures.models import SensitiveCategory
from chartdesk.disclosures.selection import decide_documents


def test_a_category_the_specialist_withholds_stays_out_of_the_patients_own_copy(chart, roi):
    do_label_document(chart["lab"], category=SensitiveCategory.HIV_STI, acting_user=roi)
    request = do_log_request(chart["patient"], requester_type="patient", requester_name="Maria Garcia",
                             purpose="access", acting_user=roi)
    lab = next(d for d in decide_documents(request).decisions if d.document.title == "Basic metabolic panel")
    assert lab.included is True  # the patient's own record
    held = do_set_withheld_categories(request, categories=["hiv_sti"], acting_user=roi)
    assert held.withheld_categories == ["hiv_sti"]
    lab = next(d for d in decide_documents(held).decisions if d.document.title == "Basic metabolic panel")
    assert lab.included is False
    assert lab.reasons[-1] == ("HIV and sexually transmitted infections: withheld from this release by the "
                               "specialist (minimum necessary, 164.502(b)).")
    # Documents without the category are not touched.
    assert any(d.included for d in decide_documents(held).decisions if d.document.title != "Basic metabolic panel")


def test_nothing_is_withheld_quoted_or_denied_again_on_a_denied_request(chart, roi):
    request = do_log_request(chart["patient"], requester_type="attorney", requester_name="Harbor Life",
                             purpose="insurance", acting_user=roi)
    denied = do_deny_with_reasons(request, reasons=["no_authorization"], note="", acting_user=roi)
    assert denied.denial_reasons == ["no_authorization"]
    with pytest.raises(ChartdeskError, match="denied; changing what is withheld is not possible"):
        do_set_withheld_categories(denied, categories=["genetic"], acting_user=roi)
    with pytest.raises(ChartdeskError, match="denied; quoting the fee is not possible"):
        do_quote_fee(denied, pages=10, acting_user=roi)
    with pytest.raises(ChartdeskError, match="denied"):
        do_deny_with_reasons(denied, reasons=["expired"], note="", acting_user=roi)
    denied.refresh_from_db()
    assert (denied.withheld_categories, denied.quoted_fee_cents, denied.denial_reasons) == ([], None,
                                                                                             ["no_authorization"])
