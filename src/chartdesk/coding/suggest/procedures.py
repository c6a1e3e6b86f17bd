"""Inpatient procedure suggestions (ICD-10-PCS), deliberately narrow. A PCS code fixes seven axes
(body part, approach, device, qualifier...) that free text rarely settles, so only procedures whose
usual wording settles every axis are suggested, each to its full valid code:

- appendectomy, laparoscopic (0DTJ4ZZ) or open (0DTJ0ZZ);
- cholecystectomy, laparoscopic (0FT44ZZ) or open (0FT40ZZ);
- transurethral resection of the prostate (0VT08ZZ);
- total hysterectomy, vaginal, abdominal or laparoscopic: uterus and cervix (0UT97ZZ + 0UTC7ZZ,
  0UT90ZZ + 0UTC0ZZ, 0UT94ZZ + 0UTC4ZZ);
- endotracheal intubation (0BH17EZ); diagnostic lumbar puncture (009U3ZX);
- diagnostic endoscopies when nothing was removed or biopsied: colonoscopy (0DJD8ZZ),
  esophagogastroduodenoscopy (0DJ08ZZ), cystoscopy (0TJB8ZZ), bronchoscopy (0BJ08ZZ); an
  inspection is dropped when a definitive procedure is suggested (it is part of it).

Anything planned, negated or from the past history is not suggested.
"""

from __future__ import annotations

from dataclasses import dataclass

from chartdesk.coding.suggest.context import Context, clause_words, contexts_for, find_triggers
from chartdesk.coding.suggest.results import Evidence, Suggestion
from chartdesk.coding.suggest.sections import Section, SectionKind
from chartdesk.coding.suggest.text import clauses, phrase_key, tokens_of


@dataclass(frozen=True)
class Procedure:
    codes: tuple[tuple[str, str], ...]  # (code, title)
    phrases: tuple[str, ...]
    inspection: bool = False


PROCEDURES = (
    Procedure((("0DTJ4ZZ", "Resection of Appendix, Percutaneous Endoscopic Approach"),),
              ("laparoscopic appendectomy", "lap appendectomy", "laparoscopic appendicectomy")),
    Procedure((("0DTJ0ZZ", "Resection of Appendix, Open Approach"),), ("open appendectomy",)),
    Procedure((("0FT44ZZ", "Resection of Gallbladder, Percutaneous Endoscopic Approach"),),
              ("laparoscopic cholecystectomy", "lap cholecystectomy", "lap chole")),
    Procedure((("0FT40ZZ", "Resection of Gallbladder, Open Approach"),), ("open cholecystectomy",)),
    Procedure((("0VT08ZZ", "Resection of Prostate, Via Natural or Artificial Opening Endoscopic"),),
              ("transurethral resection of the prostate", "transurethral resection of prostate", "turp",
               "tur of the prostate", "tur prostate")),
    Procedure((("0UT97ZZ", "Resection of Uterus, Via Natural or Artificial Opening"),
               ("0UTC7ZZ", "Resection of Cervix, Via Natural or Artificial Opening")),
              ("total vaginal hysterectomy", "tvh")),
    Procedure((("0UT90ZZ", "Resection of Uterus, Open Approach"), ("0UTC0ZZ", "Resection of Cervix, Open Approach")),
              ("total abdominal hysterectomy", "tah")),
    Procedure((("0UT94ZZ", "Resection of Uterus, Percutaneous Endoscopic Approach"),
               ("0UTC4ZZ", "Resection of Cervix, Percutaneous Endoscopic Approach")),
              ("total laparoscopic hysterectomy", "laparoscopic total hysterectomy", "tlh")),
    Procedure((("0BH17EZ", "Insertion of Endotracheal Airway into Trachea, Via Natural or Artificial Opening"),),
              ("endotracheal intubation", "intubated", "intubation")),
    Procedure((("009U3ZX", "Drainage of Spinal Canal, Percutaneous Approach, Diagnostic"),),
              ("lumbar puncture", "spinal tap", "diagnostic lumbar puncture")),
    Procedure((("0DJD8ZZ", "Inspection of Lower Intestinal Tract, Via Natural or Artificial Opening Endoscopic"),),
              ("colonoscopy",), inspection=True),
    Procedure((("0DJ08ZZ", "Inspection of Upper Intestinal Tract, Via Natural or Artificial Opening Endoscopic"),),
              ("egd", "esophagogastroduodenoscopy", "upper endoscopy"), inspection=True),
    Procedure((("0TJB8ZZ", "Inspection of Bladder, Via Natural or Artificial Opening Endoscopic"),),
              ("cystoscopy", "cysto", "cystourethroscopy"), inspection=True),
    Procedure((("0BJ08ZZ", "Inspection of Tracheobronchial Tree, Via Natural or Artificial Opening Endoscopic"),),
              ("bronchoscopy", "flexible bronchoscopy"), inspection=True),
)
PHRASES = {phrase_key(phrase): procedure for procedure in PROCEDURES for phrase in procedure.phrases}
LONGEST = max(len(key) for key in PHRASES)
# An endoscopy that took tissue out is an excision or resection, not an inspection.
BEYOND_INSPECTION = frozenset({"biopsy", "biopsie", "polypectomy", "removal", "removed", "excision", "resection",
                               "snare", "dilation", "dilatation", "stent", "ablation", "tur", "turp", "cautery"})
READ = frozenset({SectionKind.PROCEDURE, SectionKind.HISTORY, SectionKind.OTHER, SectionKind.DIAGNOSIS})
SKIP_CONTEXTS = frozenset({Context.NEGATED, Context.PLANNED, Context.HISTORY, Context.UNCERTAIN, Context.FAMILY})


def procedure_suggestions(text: str, sections: list[Section]) -> list[Suggestion]:
    found: dict[str, Suggestion] = {}
    for section in sections:
        if section.kind not in READ:
            continue
        for clause_start, clause_end in clauses(text, section.start, section.end):
            tokens = tokens_of(text, clause_start, clause_end)
            words = clause_words(tokens)
            index = 0
            while index < len(words):
                for length in range(min(LONGEST, len(words) - index), 0, -1):
                    procedure = PHRASES.get(tuple(words[index:index + length]))
                    if procedure is None:
                        continue
                    covered = [False] * len(words)
                    covered[index:index + length] = [True] * length
                    contexts = contexts_for(index, index + length, words, find_triggers(words, covered))
                    beyond = procedure.inspection and BEYOND_INSPECTION & set(words)
                    if not contexts & SKIP_CONTEXTS and not beyond:
                        first, last = tokens[index], tokens[index + length - 1]
                        evidence = Evidence(first.start, last.end, text[first.start:last.end])
                        for code, title in procedure.codes:
                            found.setdefault(code, Suggestion(code, title, 0.7 if procedure.inspection else 0.85,
                                                              (evidence,), section.heading, frozenset(), "icd10pcs"))
                    index += length
                    break
                else:
                    index += 1
    definitive = any(suggestion.code[2] != "J" for suggestion in found.values())
    return [suggestion for suggestion in found.values() if not (definitive and suggestion.code[2] == "J")]
