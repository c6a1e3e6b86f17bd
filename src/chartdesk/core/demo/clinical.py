"""Clinical stories for synthetic encounters, and the documents an HIM department would see for them.

Each `Scenario` is one kind of stay (pneumonia admission, appendectomy, diabetes follow-up...), with
the phrases its documents need. The writers below turn a scenario, a patient and a few random vital
signs into history-and-physicals, progress notes, operative reports, discharge summaries, lab and
imaging reports laid out the way transcribed reports usually are.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

# Document kinds the writers know, mapped to LOINC document-type codes (charts.models.DocumentType).
DOCUMENT_TYPES = {
    "hp": "34117-2",
    "progress": "11506-3",
    "ed_note": "11506-3",
    "office": "11506-3",
    "consult": "11488-4",
    "operative": "11504-8",
    "discharge": "18842-5",
    "lab": "11502-2",
    "imaging": "18748-4",
}


@dataclass(frozen=True)
class Scenario:
    key: str
    encounter_class: str  # charts.models.EncounterClass value
    service: str
    location: str
    reason: str
    specialty: str  # the attending's specialty
    documents: tuple[str, ...]
    stay_days: tuple[int, int] = (0, 0)
    ages: tuple[int, int] = (18, 95)
    chief_complaint: str = ""
    hpi: str = ""
    exam: dict[str, str] = field(default_factory=dict)
    assessment_plan: str = ""
    progress: tuple[str, str] = ("", "")  # subjective, assessment and plan
    hospital_course: str = ""
    diagnoses: tuple[str, ...] = ()
    labs: tuple[str, ...] = ()
    imaging: tuple[str, str, str, str] = ("", "", "", "")  # modality and study, technique, findings, impression
    procedure: tuple[str, str, str] = ("", "", "")  # name, specimen, description
    discharge_medications: str = ""
    follow_up: str = ""
    fever: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "pneumonia", "inpatient", "Medicine", "4 West", "Community-acquired pneumonia", "Hospital Medicine",
        ("hp", "imaging", "lab", "progress", "progress", "discharge"), stay_days=(2, 5), ages=(40, 95),
        chief_complaint="Cough, fever and shortness of breath for four days.",
        hpi="who presents with four days of productive cough with yellow-green sputum, subjective fevers, chills "
        "and increasing shortness of breath on exertion. {pronoun_cap} denies chest pain or hemoptysis. In the "
        "emergency department {pronoun} was febrile and hypoxic and was started on ceftriaxone and azithromycin.",
        exam={"LUNGS": "Crackles at the right base with egophony. No wheezes.", "GENERAL": "Ill-appearing, mildly "
              "tachypneic, in no acute distress."},
        assessment_plan="1. Community-acquired pneumonia, right lower lobe, CURB-65 score 2. Continue ceftriaxone "
        "1 g IV daily and azithromycin 500 mg daily. Blood and sputum cultures pending. Supplemental oxygen to keep "
        "saturation above 92%.\n2. Deep vein thrombosis prophylaxis with enoxaparin.\n3. Full code.",
        progress=("Feels somewhat better. Cough persists but less short of breath. Afebrile overnight.",
                  "Pneumonia improving on IV antibiotics. Wean oxygen as tolerated; transition to oral "
                  "antibiotics when afebrile for 24 hours."),
        hospital_course="The patient was admitted with right lower lobe pneumonia and treated with IV ceftriaxone "
        "and azithromycin. Blood cultures remained negative. Oxygen was weaned to room air by hospital day 3 and "
        "antibiotics were changed to oral cefpodoxime.",
        diagnoses=("Community-acquired pneumonia, right lower lobe", "Acute hypoxic respiratory failure, resolved"),
        labs=("CBC", "BMP"), fever=True,
        imaging=("XR CHEST 2 VIEWS", "PA and lateral views of the chest.",
                 "Airspace consolidation in the right lower lobe with air bronchograms. No pleural effusion or "
                 "pneumothorax. Cardiomediastinal silhouette is within normal limits.",
                 "Right lower lobe pneumonia."),
        discharge_medications="Cefpodoxime 200 mg by mouth twice daily for 5 more days. Resume home medications.",
        follow_up="Primary care in 1 week. Repeat chest x-ray in 6 weeks to document resolution.",
    ),
    Scenario(
        "heart_failure", "inpatient", "Cardiology", "5 East Telemetry", "Acute on chronic systolic heart failure",
        "Cardiology", ("hp", "lab", "imaging", "progress", "discharge"), stay_days=(3, 6), ages=(50, 95),
        chief_complaint="Worsening shortness of breath and leg swelling.",
        hpi="with known heart failure with reduced ejection fraction who reports two weeks of progressive dyspnea, "
        "three-pillow orthopnea, paroxysmal nocturnal dyspnea and an eight-pound weight gain. {pronoun_cap} admits "
        "to dietary indiscretion over the holidays and ran out of furosemide five days ago.",
        exam={"NECK": "Jugular venous distension to 12 cm.", "LUNGS": "Bibasilar crackles.",
              "HEART": "Regular rate, S3 gallop, 2/6 holosystolic murmur at the apex.",
              "EXTREMITIES": "2+ pitting edema to the mid shins bilaterally."},
        assessment_plan="1. Acute on chronic systolic heart failure, NYHA class III, likely precipitated by "
        "medication non-adherence and dietary sodium. Furosemide 40 mg IV twice daily, strict intake and output, "
        "daily weights, 2 g sodium diet, fluid restriction 1.5 L.\n2. Continue metoprolol succinate and "
        "sacubitril-valsartan.\n3. Echocardiogram.",
        progress=("Breathing easier. Net negative 2.1 L overnight. Weight down 1.5 kg.",
                  "Diuresing well. Continue IV furosemide one more day, then transition to oral. Monitor potassium "
                  "and creatinine."),
        hospital_course="Admitted with volume overload. Diuresed 6 kg with IV furosemide. Echocardiogram showed an "
        "ejection fraction of 30%. Renal function remained stable. Heart failure education was completed.",
        diagnoses=("Acute on chronic systolic (congestive) heart failure", "Hypertension", "Medication non-adherence"),
        labs=("BNP", "BMP"),
        imaging=("ECHOCARDIOGRAM, TRANSTHORACIC", "Complete two-dimensional, M-mode and Doppler study.",
                 "The left ventricle is moderately dilated with global hypokinesis. Estimated ejection fraction 30%. "
                 "Moderate mitral regurgitation. Right ventricular systolic function is mildly reduced.",
                 "Dilated cardiomyopathy with ejection fraction 30% and moderate mitral regurgitation."),
        discharge_medications="Furosemide 40 mg by mouth daily. Metoprolol succinate 50 mg daily. "
        "Sacubitril-valsartan 49/51 mg twice daily. Spironolactone 25 mg daily.",
        follow_up="Heart failure clinic in 7 days with a basic metabolic panel.",
    ),
    Scenario(
        "appendicitis", "inpatient", "General Surgery", "6 North", "Acute appendicitis", "General Surgery",
        ("hp", "imaging", "lab", "operative", "progress", "discharge"), stay_days=(1, 3), ages=(8, 70),
        chief_complaint="Right lower quadrant abdominal pain.",
        hpi="who developed periumbilical pain yesterday evening that migrated to the right lower quadrant, with "
        "anorexia, nausea and one episode of emesis. {pronoun_cap} has not had a bowel movement today.",
        exam={"ABDOMEN": "Tender at McBurney's point with voluntary guarding. Positive Rovsing sign. No rebound."},
        assessment_plan="Acute appendicitis. Plan laparoscopic appendectomy today. Consent obtained after "
        "discussion of risks, benefits and alternatives. NPO, IV fluids, cefoxitin preoperatively.",
        progress=("Pain controlled on oral analgesics. Tolerating clear liquids. Ambulating.",
                  "Postoperative day 1, doing well. Advance diet. Anticipate discharge tomorrow."),
        hospital_course="Underwent uncomplicated laparoscopic appendectomy on the day of admission. Pathology "
        "confirmed acute appendicitis without perforation. Diet was advanced and pain was controlled on oral "
        "medication.",
        diagnoses=("Acute appendicitis without perforation",),
        labs=("CBC",), fever=True,
        imaging=("CT ABDOMEN AND PELVIS WITH CONTRAST", "Axial images after IV contrast, coronal reformats.",
                 "The appendix is dilated to 11 mm with wall enhancement and periappendiceal fat stranding. No "
                 "abscess or free air. The remainder of the bowel is unremarkable.",
                 "Acute uncomplicated appendicitis."),
        procedure=("Laparoscopic appendectomy", "Appendix",
                   "The patient was brought to the operating room and placed supine. After induction of general "
                   "anesthesia the abdomen was prepped and draped in sterile fashion. A 12 mm umbilical port was "
                   "placed by open technique and pneumoperitoneum established. Two 5 mm ports were placed under "
                   "direct vision. The appendix was inflamed without perforation. The mesoappendix was divided with "
                   "the harmonic scalpel and the base of the appendix was divided with an endoscopic stapler. The "
                   "specimen was removed in a bag. Hemostasis was confirmed. Ports were removed under vision and "
                   "the fascia at the umbilicus closed with 0 Vicryl. Skin was closed with 4-0 Monocryl. The "
                   "patient tolerated the procedure well and went to recovery in stable condition."),
        discharge_medications="Acetaminophen 650 mg every 6 hours as needed. Ibuprofen 400 mg every 8 hours as "
        "needed with food.",
        follow_up="Surgery clinic in 2 weeks. No lifting over 10 pounds for 2 weeks.",
    ),
    Scenario(
        "knee_replacement", "inpatient", "Orthopaedic Surgery", "7 South", "Osteoarthritis of the right knee",
        "Orthopaedic Surgery", ("hp", "operative", "progress", "imaging", "discharge"), stay_days=(1, 3),
        ages=(55, 88),
        chief_complaint="Elective right total knee arthroplasty.",
        hpi="with end-stage osteoarthritis of the right knee and years of pain limiting walking to one block "
        "despite physical therapy, weight loss, NSAIDs and corticosteroid injections, admitted for elective "
        "arthroplasty.",
        exam={"EXTREMITIES": "Right knee with varus deformity, crepitus and range of motion 5 to 100 degrees. "
              "Neurovascularly intact distally."},
        assessment_plan="Primary osteoarthritis, right knee. Proceed with right total knee arthroplasty. "
        "Perioperative cefazolin, tranexamic acid, and aspirin for thromboprophylaxis afterwards.",
        progress=("Pain 4/10 with oral medication. Worked with physical therapy, walked 150 feet with a walker.",
                  "Postoperative day 1 after right total knee arthroplasty. Continue PT twice daily, aspirin 81 mg "
                  "twice daily for 4 weeks."),
        hospital_course="Underwent right total knee arthroplasty without complication. Progressed well with "
        "physical therapy and met goals for discharge.",
        diagnoses=("Primary osteoarthritis, right knee",),
        imaging=("XR KNEE RIGHT 2 VIEWS", "AP and lateral views of the right knee.",
                 "Postoperative changes of total knee arthroplasty with components in anatomic alignment. No "
                 "periprosthetic fracture. Expected soft-tissue gas and skin staples.",
                 "Satisfactory postoperative appearance of right total knee arthroplasty."),
        procedure=("Right total knee arthroplasty, cemented", "None",
                   "After spinal anesthesia and a tourniquet, a midline incision and medial parapatellar "
                   "arthrotomy were made. Distal femoral and proximal tibial cuts were made with standard "
                   "instrumentation, followed by femoral sizing, chamfer cuts and tibial preparation. Trial "
                   "components showed good balance in flexion and extension. Final components were cemented. "
                   "The wound was irrigated and closed in layers. Sterile dressing applied. The patient went to "
                   "recovery in stable condition."),
        discharge_medications="Aspirin 81 mg twice daily for 4 weeks. Oxycodone 5 mg every 6 hours as needed, "
        "20 tablets. Acetaminophen 1 g every 8 hours.",
        follow_up="Orthopaedics clinic in 2 weeks for staple removal. Home physical therapy 3 times weekly.",
    ),
    Scenario(
        "copd", "inpatient", "Medicine", "4 East", "COPD exacerbation", "Pulmonology",
        ("hp", "lab", "progress", "discharge"), stay_days=(2, 4), ages=(50, 90),
        chief_complaint="Increased shortness of breath and wheezing.",
        hpi="with chronic obstructive pulmonary disease on home tiotropium who reports three days of increased "
        "sputum, wheezing and dyspnea at rest after a viral upper respiratory infection. {pronoun_cap} smoked one "
        "pack per day for 40 years and quit last year.",
        exam={"LUNGS": "Diffuse expiratory wheezes with prolonged expiratory phase and poor air movement.",
              "GENERAL": "Speaking in short sentences, using accessory muscles."},
        assessment_plan="Acute exacerbation of COPD. Nebulized albuterol and ipratropium every 4 hours, "
        "prednisone 40 mg daily for 5 days, doxycycline for increased sputum purulence. Target saturation 88-92%.",
        progress=("Breathing better, wheezing less. Able to walk to the bathroom without stopping.",
                  "Improving. Space nebulizers to every 6 hours. Consider discharge tomorrow."),
        hospital_course="Treated with bronchodilators, systemic corticosteroids and doxycycline with steady "
        "improvement. Returned to baseline oxygen requirement.",
        diagnoses=("Chronic obstructive pulmonary disease with acute exacerbation",),
        labs=("CBC", "BMP"),
        discharge_medications="Prednisone 40 mg daily to complete 5 days. Doxycycline 100 mg twice daily for 5 "
        "days. Continue tiotropium and albuterol as needed.",
        follow_up="Pulmonology clinic in 2 weeks. Referral to pulmonary rehabilitation.",
    ),
    Scenario(
        "chest_pain", "observation", "Cardiology", "Clinical Decision Unit", "Chest pain, rule out acute coronary "
        "syndrome", "Cardiology", ("hp", "lab", "imaging", "discharge"), stay_days=(0, 1), ages=(35, 85),
        chief_complaint="Chest pressure.",
        hpi="who had 30 minutes of substernal chest pressure radiating to the left arm while shoveling snow, with "
        "diaphoresis, resolved with rest. No prior cardiac history. Risk factors include hypertension and "
        "hyperlipidemia.",
        exam={"HEART": "Regular rate and rhythm, no murmurs, rubs or gallops."},
        assessment_plan="Chest pain, intermediate risk (HEART score 4). Serial troponins, telemetry, aspirin. "
        "Exercise stress echocardiogram in the morning if troponins are negative.",
        hospital_course="Placed in observation. Serial high-sensitivity troponins were negative and the exercise "
        "stress echocardiogram showed no inducible ischemia.",
        diagnoses=("Chest pain, unspecified; acute coronary syndrome excluded", "Hypertension"),
        labs=("Troponin",),
        imaging=("STRESS ECHOCARDIOGRAM", "Treadmill exercise, Bruce protocol, with pre- and post-exercise imaging.",
                 "Exercised 9 minutes 30 seconds, reaching 92% of maximum predicted heart rate. No chest pain. No "
                 "ECG changes. Normal wall motion at rest and with stress.",
                 "Negative stress echocardiogram for ischemia. Good functional capacity."),
        discharge_medications="Aspirin 81 mg daily. Atorvastatin 40 mg daily.",
        follow_up="Primary care in 1-2 weeks.",
    ),
    Scenario(
        "syncope", "observation", "Medicine", "Clinical Decision Unit", "Syncope", "Hospital Medicine",
        ("hp", "lab", "discharge"), stay_days=(0, 1), ages=(20, 95),
        chief_complaint="Passed out at church.",
        hpi="who had a brief loss of consciousness after standing for a long time in a warm room, preceded by "
        "lightheadedness, nausea and tunnel vision, with prompt recovery and no confusion afterwards.",
        assessment_plan="Syncope, most consistent with vasovagal mechanism. Telemetry overnight, orthostatic "
        "vital signs, ECG and basic labs.",
        hospital_course="No arrhythmia on telemetry. Orthostatic vital signs were normal. ECG showed sinus rhythm "
        "with normal intervals.",
        diagnoses=("Vasovagal syncope",),
        labs=("BMP", "CBC"),
        follow_up="Primary care in 2 weeks. Hydrate well; sit or lie down at the first warning symptoms.",
    ),
    Scenario(
        "ankle", "emergency", "Emergency Medicine", "Emergency Department", "Right ankle injury",
        "Emergency Medicine", ("ed_note", "imaging"), ages=(10, 80),
        chief_complaint="Right ankle pain after a fall.",
        hpi="who inverted the right ankle stepping off a curb and was unable to bear weight afterwards.",
        exam={"EXTREMITIES": "Swelling and tenderness over the lateral malleolus. Dorsalis pedis pulse 2+. "
              "Sensation intact."},
        assessment_plan="Nondisplaced fracture of the right lateral malleolus. Posterior splint, crutches, "
        "non-weight-bearing, ice and elevation. Ibuprofen for pain. Orthopaedics follow-up in one week.",
        imaging=("XR ANKLE RIGHT 3 VIEWS", "AP, mortise and lateral views.",
                 "Nondisplaced oblique fracture of the distal fibula at the level of the joint line. The mortise "
                 "is congruent. Soft-tissue swelling laterally.",
                 "Nondisplaced Weber B fracture of the right lateral malleolus."),
    ),
    Scenario(
        "laceration", "emergency", "Emergency Medicine", "Emergency Department", "Laceration of the left hand",
        "Emergency Medicine", ("ed_note",), ages=(5, 85),
        chief_complaint="Cut left hand on a kitchen knife.",
        hpi="who cut the palm of the left hand while slicing vegetables about an hour ago. Bleeding controlled "
        "with pressure. Tetanus status unknown.",
        exam={"EXTREMITIES": "3 cm linear laceration of the left thenar eminence, no tendon exposure, full "
              "flexion and extension of all digits, sensation intact."},
        assessment_plan="Simple laceration, left hand, 3 cm. Irrigated and repaired with six 4-0 nylon sutures "
        "under 1% lidocaine. Tetanus-diphtheria-pertussis booster given. Suture removal in 10 days.",
    ),
    Scenario(
        "asthma", "emergency", "Emergency Medicine", "Emergency Department", "Asthma exacerbation",
        "Emergency Medicine", ("ed_note",), ages=(4, 60),
        chief_complaint="Wheezing and trouble breathing.",
        hpi="with moderate persistent asthma who has had a cold for three days and wheezing since last night, "
        "using the albuterol inhaler every two hours without relief.",
        exam={"LUNGS": "Diffuse expiratory wheezes, mild intercostal retractions."},
        assessment_plan="Moderate asthma exacerbation. Three albuterol-ipratropium nebulizers and oral "
        "dexamethasone given with marked improvement; saturation 97% on room air at discharge. Continue "
        "inhaled controller, albuterol as needed, follow up with primary care in 2-3 days.",
    ),
    Scenario(
        "diabetes", "outpatient", "Family Medicine", "Lakeside Family Medicine", "Type 2 diabetes follow-up",
        "Family Medicine", ("office", "lab"), ages=(30, 90),
        chief_complaint="Diabetes follow-up.",
        hpi="with type 2 diabetes mellitus here for a three-month follow-up. Checks glucose most mornings, "
        "readings 130-180. No hypoglycemia. Walking 20 minutes most days.",
        assessment_plan="1. Type 2 diabetes mellitus with hyperglycemia, hemoglobin A1c above goal. Increase "
        "metformin to 1000 mg twice daily; discussed adding a GLP-1 receptor agonist at the next visit. Annual "
        "retinal examination ordered; monofilament examination normal today.\n2. Hyperlipidemia: continue "
        "atorvastatin.\n3. Return in 3 months.",
        labs=("HbA1c", "Lipid panel"),
    ),
    Scenario(
        "hypertension", "outpatient", "Internal Medicine", "Westside Internal Medicine", "Hypertension follow-up",
        "Internal Medicine", ("office",), ages=(30, 95),
        chief_complaint="Blood pressure check.",
        hpi="with essential hypertension here for follow-up. Home readings average 138/86. Taking lisinopril "
        "daily without side effects. Limiting salt.",
        assessment_plan="Essential hypertension, not at goal. Add amlodipine 5 mg daily. Continue lisinopril "
        "20 mg daily. Basic metabolic panel in 2 weeks. Recheck in 4 weeks.",
    ),
    Scenario(
        "wellness", "outpatient", "Family Medicine", "Lakeside Family Medicine", "Annual wellness visit",
        "Family Medicine", ("office", "lab"), ages=(2, 90),
        chief_complaint="Annual examination.",
        hpi="here for an annual preventive visit. No new complaints. Diet and exercise reviewed.",
        assessment_plan="Healthy adult examination. Age-appropriate screening discussed and ordered. Influenza "
        "vaccine given. Return in one year or sooner as needed.",
        labs=("Lipid panel", "CBC"),
    ),
    Scenario(
        "cardiology_consult", "outpatient", "Cardiology", "Heart Center Clinic", "Palpitations",
        "Cardiology", ("consult",), ages=(25, 85),
        chief_complaint="Palpitations.",
        hpi="referred by primary care for intermittent palpitations over two months, lasting minutes, with no "
        "syncope or chest pain. Caffeine three cups daily.",
        assessment_plan="Palpitations, likely premature atrial contractions. 14-day ambulatory ECG monitor, "
        "thyroid-stimulating hormone, transthoracic echocardiogram. Reduce caffeine. Follow up after the monitor.",
    ),
)

# Reference panels: (test, low end of normal, high end of normal, units).
PANELS: dict[str, tuple[tuple[str, float, float, str], ...]] = {
    "CBC": (("WBC", 4.0, 11.0, "K/uL"), ("Hemoglobin", 12.0, 16.5, "g/dL"), ("Hematocrit", 36.0, 48.0, "%"),
            ("Platelets", 150.0, 400.0, "K/uL")),
    "BMP": (("Sodium", 135.0, 145.0, "mmol/L"), ("Potassium", 3.5, 5.1, "mmol/L"), ("Chloride", 98.0, 107.0, "mmol/L"),
            ("CO2", 22.0, 29.0, "mmol/L"), ("BUN", 7.0, 20.0, "mg/dL"), ("Creatinine", 0.6, 1.2, "mg/dL"),
            ("Glucose", 70.0, 99.0, "mg/dL")),
    "Troponin": (("Troponin I, high sensitivity", 0.0, 34.0, "ng/L"),),
    "BNP": (("B-type natriuretic peptide", 0.0, 100.0, "pg/mL"),),
    "HbA1c": (("Hemoglobin A1c", 4.0, 5.6, "%"),),
    "Lipid panel": (("Total cholesterol", 100.0, 199.0, "mg/dL"), ("LDL cholesterol", 0.0, 99.0, "mg/dL"),
                    ("HDL cholesterol", 40.0, 90.0, "mg/dL"), ("Triglycerides", 0.0, 149.0, "mg/dL")),
}

# Results the scenario makes abnormal: (test, value range).
ABNORMAL = {
    ("pneumonia", "WBC"): (14.0, 19.5), ("appendicitis", "WBC"): (12.5, 17.0), ("heart_failure", "B-type "
    "natriuretic peptide"): (900.0, 2400.0), ("heart_failure", "Creatinine"): (1.3, 1.7),
    ("diabetes", "Hemoglobin A1c"): (7.4, 9.6), ("diabetes", "Glucose"): (140.0, 220.0),
    ("diabetes", "LDL cholesterol"): (100.0, 140.0), ("copd", "CO2"): (30.0, 34.0),
}

PAST_HISTORY = ("Hypertension", "Hyperlipidemia", "Type 2 diabetes mellitus", "Gastroesophageal reflux disease",
                "Hypothyroidism", "Osteoarthritis", "Depression", "Atrial fibrillation", "Chronic kidney disease "
                "stage 3", "Benign prostatic hyperplasia", "Obstructive sleep apnea", "Migraine")
MEDICATIONS = ("lisinopril 20 mg daily", "atorvastatin 40 mg daily", "metformin 500 mg twice daily",
               "omeprazole 20 mg daily", "levothyroxine 75 mcg daily", "sertraline 50 mg daily",
               "amlodipine 5 mg daily", "apixaban 5 mg twice daily", "tamsulosin 0.4 mg daily")
ALLERGIES = ("No known drug allergies.", "No known drug allergies.", "No known drug allergies.",
             "Penicillin (hives).", "Sulfa drugs (rash).", "Codeine (nausea).", "Latex.")
SOCIAL = ("Lives with spouse. Never smoker. Occasional alcohol.", "Lives alone. Former smoker. No alcohol.",
          "Lives with family. Never smoker. No alcohol or drug use.", "Retired teacher, lives with daughter. "
          "Quit smoking 20 years ago.", "Works in construction. Smokes half a pack daily. Drinks on weekends.")
FAMILY = ("Father with coronary artery disease. Mother with type 2 diabetes.", "Noncontributory.",
          "Mother with breast cancer. Father with hypertension.", "Siblings healthy.")
DISPOSITIONS = {"01": "Home or self-care", "06": "Home with home health services", "03": "Skilled nursing facility",
                "62": "Inpatient rehabilitation facility"}

NORMAL_EXAM = {
    "GENERAL": "Well-appearing, in no acute distress.",
    "HEENT": "Normocephalic, atraumatic. Mucous membranes moist.",
    "NECK": "Supple, no jugular venous distension, no lymphadenopathy.",
    "LUNGS": "Clear to auscultation bilaterally.",
    "HEART": "Regular rate and rhythm, no murmurs.",
    "ABDOMEN": "Soft, nontender, nondistended, normal bowel sounds.",
    "EXTREMITIES": "No edema. Pulses intact.",
    "NEUROLOGIC": "Alert and oriented, nonfocal.",
}


@dataclass(frozen=True)
class NoteContext:
    """The facts about a patient and a stay that the writers put into the text."""

    title: str  # "Mr. Nguyen"
    age: int
    sex: str  # F, M, X, U
    admit_at: datetime
    discharge_at: datetime | None
    attending: str
    disposition: str = "01"


def _words(sex: str) -> tuple[str, str, str]:
    return {"F": ("woman", "she", "her"), "M": ("man", "he", "his")}.get(sex, ("patient", "they", "their"))


def _vitals(rng: random.Random, fever: bool) -> str:
    if fever:
        temperature, pulse, breaths, saturation = rng.uniform(100.6, 102.8), rng.randint(92, 118), rng.randint(
            20, 26), rng.randint(89, 94)
    else:
        temperature, pulse, breaths, saturation = rng.uniform(97.6, 99.0), rng.randint(60, 92), rng.randint(
            12, 18), rng.randint(95, 99)
    return (
        f"Temperature {temperature:.1f} F, pulse {pulse}, respirations {breaths}, "
        f"blood pressure {rng.randint(108, 148)}/{rng.randint(62, 90)}, oxygen saturation {saturation}% "
        f"on {'2 L nasal cannula' if fever and saturation < 92 else 'room air'}."
    )


def _fill(text: str, ctx: NoteContext) -> str:
    _, pronoun, possessive = _words(ctx.sex)
    return text.format(pronoun=pronoun, pronoun_cap=pronoun.capitalize(), possessive=possessive)


def _opening(scenario: Scenario, ctx: NoteContext) -> str:
    noun, _, _ = _words(ctx.sex)
    noun = "child" if ctx.age < 13 else noun
    return f"{ctx.title} is a {ctx.age}-year-old {noun} {_fill(scenario.hpi, ctx)}"


def _history(rng: random.Random, ctx: NoteContext) -> str:
    count = 0 if ctx.age < 30 else rng.randint(1, 4)
    conditions = [c for c in PAST_HISTORY if ctx.sex == "M" or c != "Benign prostatic hyperplasia"]
    drugs = [d for d in MEDICATIONS if ctx.sex == "M" or not d.startswith("tamsulosin")]
    past = ", ".join(rng.sample(conditions, count)) if count else "None."
    medications = "; ".join(rng.sample(drugs, count)) if count else "None."
    return (
        f"PAST MEDICAL HISTORY: {past}\nMEDICATIONS: {medications}\nALLERGIES: {rng.choice(ALLERGIES)}\n"
        f"SOCIAL HISTORY: {rng.choice(SOCIAL) if ctx.age >= 18 else 'Lives with parents. Attends school.'}\n"
        f"FAMILY HISTORY: {rng.choice(FAMILY)}"
    )


def _exam(scenario: Scenario, rng: random.Random) -> str:
    findings = {**NORMAL_EXAM, **scenario.exam}
    lines = [f"VITAL SIGNS: {_vitals(rng, scenario.fever)}"]
    lines += [f"{part}: {finding}" for part, finding in findings.items()]
    return "\n".join(lines)


def _day(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y")


def history_and_physical(scenario: Scenario, ctx: NoteContext, rng: random.Random) -> str:
    return (
        f"HISTORY AND PHYSICAL\n\nDATE OF ADMISSION: {_day(ctx.admit_at)}\nATTENDING: {ctx.attending}\n\n"
        f"CHIEF COMPLAINT: {scenario.chief_complaint}\n\nHISTORY OF PRESENT ILLNESS: {_opening(scenario, ctx)}\n\n"
        f"{_history(rng, ctx)}\n\nREVIEW OF SYSTEMS: Ten systems reviewed and negative except as in the history "
        f"of present illness.\n\nPHYSICAL EXAMINATION:\n{_exam(scenario, rng)}\n\n"
        f"ASSESSMENT AND PLAN:\n{scenario.assessment_plan}"
    )


def progress_note(scenario: Scenario, ctx: NoteContext, rng: random.Random, day: int = 2) -> str:
    subjective, plan = scenario.progress or ("Feels well.", "Continue current management.")
    return (
        f"PROGRESS NOTE, HOSPITAL DAY {day}\n\nSUBJECTIVE: {subjective}\n\n"
        f"OBJECTIVE:\nVITAL SIGNS: {_vitals(rng, False)}\nLUNGS: {scenario.exam.get('LUNGS', NORMAL_EXAM['LUNGS'])}"
        f"\nHEART: {NORMAL_EXAM['HEART']}\n\nASSESSMENT AND PLAN: {plan}"
    )


def visit_note(scenario: Scenario, ctx: NoteContext, rng: random.Random, heading: str) -> str:
    return (
        f"{heading}\n\nDATE OF SERVICE: {_day(ctx.admit_at)}\nPROVIDER: {ctx.attending}\n\n"
        f"CHIEF COMPLAINT: {scenario.chief_complaint}\n\nHISTORY OF PRESENT ILLNESS: {_opening(scenario, ctx)}\n\n"
        f"{_history(rng, ctx)}\n\nPHYSICAL EXAMINATION:\n{_exam(scenario, rng)}\n\n"
        f"ASSESSMENT AND PLAN:\n{scenario.assessment_plan}"
    )


def operative_report(scenario: Scenario, ctx: NoteContext, rng: random.Random) -> str:
    name, specimen, description = scenario.procedure
    return (
        f"OPERATIVE REPORT\n\nDATE OF OPERATION: {_day(ctx.admit_at)}\n"
        f"PREOPERATIVE DIAGNOSIS: {scenario.diagnoses[0]}\nPOSTOPERATIVE DIAGNOSIS: Same.\nPROCEDURE: {name}\n"
        f"SURGEON: {ctx.attending}\nANESTHESIA: {'Spinal' if 'knee' in name.lower() else 'General endotracheal'}.\n"
        f"ESTIMATED BLOOD LOSS: {rng.choice((10, 20, 25, 50, 100, 150))} mL\nSPECIMENS: {specimen}\n"
        f"COMPLICATIONS: None.\n\nINDICATIONS: {_opening(scenario, ctx)}\n\nDESCRIPTION OF PROCEDURE: {description}"
    )


def discharge_summary(scenario: Scenario, ctx: NoteContext, rng: random.Random) -> str:
    discharged = _day(ctx.discharge_at) if ctx.discharge_at else "pending"
    diagnoses = "\n".join(f"{n}. {d}" for n, d in enumerate(scenario.diagnoses, 1))
    procedures = scenario.procedure[0] or "None."
    return (
        f"DISCHARGE SUMMARY\n\nADMISSION DATE: {_day(ctx.admit_at)}\nDISCHARGE DATE: {discharged}\n"
        f"ATTENDING: {ctx.attending}\n\nREASON FOR ADMISSION: {scenario.reason}.\n\n"
        f"DISCHARGE DIAGNOSES:\n{diagnoses}\n\nPROCEDURES: {procedures}\n\n"
        f"HOSPITAL COURSE: {_opening(scenario, ctx)} {scenario.hospital_course}\n\n"
        f"CONDITION AT DISCHARGE: Stable.\nDISPOSITION: {DISPOSITIONS.get(ctx.disposition, 'Home')}.\n\n"
        f"DISCHARGE MEDICATIONS: {scenario.discharge_medications or 'Resume home medications.'}\n\n"
        f"FOLLOW-UP: {scenario.follow_up or 'Primary care in 1-2 weeks.'}"
    )


def lab_report(scenario: Scenario, ctx: NoteContext, rng: random.Random) -> str:
    lines = [f"LABORATORY REPORT\n\nCOLLECTED: {ctx.admit_at.strftime('%m/%d/%Y %H:%M')}\n"]
    for panel in scenario.labs:
        lines.append(f"{panel.upper()}")
        lines.append(f"{'Test':32} {'Result':>8}  {'Units':8} {'Reference':>14}  Flag")
        for test, low, high, units in PANELS[panel]:
            low_value, high_value = ABNORMAL.get((scenario.key, test), (low + (high - low) * 0.15, high * 0.9))
            value = rng.uniform(low_value, high_value)
            flag = "H" if value > high else "L" if value < low else ""
            digits = 0 if high >= 100 else 1
            reference = f"{low:.{digits}f}-{high:.{digits}f}"
            lines.append(f"{test:32} {value:>8.{digits}f}  {units:8} {reference:>14}  {flag}")
        lines.append("")
    return "\n".join(lines).rstrip()


def imaging_report(scenario: Scenario, ctx: NoteContext, rng: random.Random) -> str:
    study, technique, findings, impression = scenario.imaging
    return (
        f"{study}\n\nDATE OF EXAM: {_day(ctx.admit_at)}\nCLINICAL INDICATION: {scenario.reason}.\n"
        f"TECHNIQUE: {technique}\nCOMPARISON: None available.\n\nFINDINGS: {findings}\n\nIMPRESSION: {impression}"
    )


Writer = Callable[[Scenario, NoteContext, random.Random], str]

WRITERS: dict[str, tuple[str, Writer]] = {
    "hp": ("History and physical", history_and_physical),
    "progress": ("Progress note", progress_note),
    "ed_note": ("Emergency department note",
                lambda s, c, r: visit_note(s, c, r, "EMERGENCY DEPARTMENT NOTE")),
    "office": ("Office visit", lambda s, c, r: visit_note(s, c, r, "OFFICE VISIT")),
    "consult": ("Consultation", lambda s, c, r: visit_note(s, c, r, "CONSULTATION")),
    "operative": ("Operative report", operative_report),
    "discharge": ("Discharge summary", discharge_summary),
    "lab": ("Laboratory report", lab_report),
    "imaging": ("Imaging report", imaging_report),
}


def document_title(kind: str, scenario: Scenario) -> str:
    if kind == "lab":
        return "Laboratory: " + ", ".join(scenario.labs)
    if kind == "imaging":
        return scenario.imaging[0].title().replace("Xr ", "XR ").replace("Ct ", "CT ")
    if kind == "operative":
        return f"Operative report: {scenario.procedure[0]}"
    return WRITERS[kind][0]


ADDENDA = (
    "Addendum: Pathology returned after signature and is consistent with the diagnosis above. No change in plan.",
    "Addendum: Spoke with the patient by telephone about the results; questions answered, follow-up confirmed.",
    "Addendum: Culture results reviewed: no growth at 48 hours. Antibiotic course unchanged.",
)
CORRECTIONS = (
    ("Medication dose transcribed incorrectly", "daily", "twice daily"),
    ("Wrong side documented", "left", "right"),
    ("Vital signs transcribed incorrectly", "room air", "2 L nasal cannula"),
)
