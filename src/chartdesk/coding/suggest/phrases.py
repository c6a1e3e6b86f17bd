"""The curated part of the dictionary: how clinicians write common conditions (abbreviations, lay and
shorthand terms the tabular does not list), each mapped to a billable ICD-10-CM code; and the tables
that turn a condition into its personal-history (Z85-Z87, I25.2) or family-history (Z80-Z84) code.
Every code here is checked billable against the tabular by the tests.

Line format: CODE | flags | phrase; phrase; ...   flags: c = chronic (coded when listed in the past
history: guideline IV.J); d=CODE = a diabetes complication: the E11 combination code when the note
documents diabetes (the "with" rule, guideline I.A.15), CODE when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

CURATED = """
I10 | c | hypertension; htn; high blood pressure; essential hypertension; elevated blood pressure diagnosis
I10 | c | benign hypertension
E11.9 | c | diabetes; dm; dm2; dm 2; t2dm; niddm; type 2 diabetes; diabetes type 2; type 2 dm; adult onset diabetes
E11.9 | c | non insulin dependent diabetes; diabetic; diabetes type ii
E10.9 | c | type 1 diabetes; diabetes type 1; t1dm; iddm; dm1; dm 1; juvenile diabetes; insulin dependent diabetes
E11.65 | c | diabetes with hyperglycemia; uncontrolled diabetes; poorly controlled diabetes
E11.65 | c | poorly controlled type 2 diabetes; uncontrolled type 2 diabetes; diabetes uncontrolled
E11.65 | c | diabetes type 2 uncontrolled; type 2 diabetes with hyperglycemia
E11.65 | c d=R73.9 | hyperglycemia
E11.649 | d=E16.2 | hypoglycemia
E11.40 | c | diabetic neuropathy; type 2 diabetes with neuropathy
E11.40 | c d=G62.9 | neuropathy
E11.42 | c | diabetic polyneuropathy; diabetic peripheral neuropathy; diabetic peripheral polyneuropathy
E11.42 | c d=G62.9 | peripheral neuropathy; polyneuropathy; peripheral polyneuropathy
E11.43 | c | diabetic gastroparesis
E11.43 | c d=K31.84 | gastroparesis
E11.319 | c | diabetic retinopathy
E11.319 | c d=H35.00 | retinopathy
E11.21 | c | diabetic nephropathy
E11.22 | c | diabetic chronic kidney disease; diabetic ckd
E11.51 | c | diabetic peripheral angiopathy; diabetic peripheral vascular disease
E11.51 | c d=I73.9 | peripheral vascular disease; peripheral arterial disease; pvd; pad
E11.621 | | diabetic foot ulcer
E78.5 | c | hyperlipidemia; hld; dyslipidemia; elevated lipids; high cholesterol
E78.00 | c | hypercholesterolemia; pure hypercholesterolemia
E78.1 | c | hypertriglyceridemia
E78.2 | c | mixed hyperlipidemia
E03.9 | c | hypothyroidism; hypothyroid
E05.90 | c | hyperthyroidism
E66.9 | c | obesity; obese
E66.01 | c | morbid obesity; severe obesity; morbidly obese
E55.9 | | vitamin d deficiency
E86.0 | | dehydration
E86.9 | | volume depletion; hypovolemia
E87.1 | | hyponatremia
E87.6 | | hypokalemia
E87.5 | | hyperkalemia
D64.9 | c | anemia; chronic anemia
D50.9 | c | iron deficiency anemia
D62 | | acute blood loss anemia
D72.829 | | leukocytosis
D69.6 | | thrombocytopenia
D47.3 | c | essential thrombocytosis; essential thrombocythemia
D47.2 | c | mgus; monoclonal gammopathy
I25.10 | c | coronary artery disease; cad; coronary disease; atherosclerotic heart disease; ashd
I25.10 | c | arteriosclerotic heart disease
I25.119 | c | coronary artery disease with angina
I20.9 | | angina; angina pectoris
I25.2 | | old myocardial infarction; old mi; healed myocardial infarction
I21.9 | | myocardial infarction; heart attack; acute myocardial infarction; ami
I21.4 | | nstemi; non st elevation myocardial infarction; non st elevation mi; non stemi
I21.3 | | stemi; st elevation myocardial infarction
I25.5 | c | ischemic cardiomyopathy
I42.9 | c | cardiomyopathy
I48.91 | c | atrial fibrillation; afib; a fib; af
I48.0 | c | paroxysmal atrial fibrillation; paroxysmal afib
I48.20 | c | chronic atrial fibrillation
I48.92 | c | atrial flutter
I50.9 | c | heart failure; congestive heart failure; chf; cardiac failure
I50.22 | c | chronic systolic heart failure; chronic systolic congestive heart failure; hfref; chronic hfref
I50.32 | c | chronic diastolic heart failure; chronic diastolic congestive heart failure; hfpef
I50.20 | c | systolic heart failure; systolic chf
I50.30 | c | diastolic heart failure; diastolic chf
I35.0 | c | aortic stenosis; aortic valve stenosis
I34.0 | c | mitral regurgitation
I95.9 | | hypotension
I46.9 | | cardiac arrest
I26.99 | | pulmonary embolism; pe acute; acute pulmonary embolism; pulmonary embolus
I82.409 | | deep vein thrombosis; dvt; acute dvt
I82.401 | | right leg dvt; right lower extremity dvt; deep vein thrombosis right lower extremity; dvt right leg
I82.401 | | dvt right lower extremity
I82.402 | | left leg dvt; left lower extremity dvt; deep vein thrombosis left lower extremity; dvt left leg
I82.402 | | dvt left lower extremity
I63.9 | | stroke; cva; cerebrovascular accident; cerebral infarction; ischemic stroke; acute ischemic stroke
I63.9 | | acute stroke
G45.9 | | tia; transient ischemic attack
I67.1 | | intracranial aneurysm; cerebral aneurysm; brain aneurysm
I73.9 | c | claudication
J44.9 | c | copd; chronic obstructive pulmonary disease; chronic obstructive lung disease; emphysema
J44.9 | c | chronic bronchitis
J44.1 | | copd exacerbation; copd with acute exacerbation; acute exacerbation copd; exacerbation copd; aecopd
J44.1 | | acute copd exacerbation
J45.909 | c | asthma; reactive airway disease; bronchial asthma
J45.20 | c | mild intermittent asthma
J45.30 | c | mild persistent asthma
J45.40 | c | moderate persistent asthma
J45.901 | | asthma exacerbation; acute asthma exacerbation; asthma with acute exacerbation
J18.9 | | pneumonia; community acquired pneumonia; cap; bronchopneumonia; lobar pneumonia nos
J18.1 | | lobar pneumonia
J69.0 | | aspiration pneumonia
J06.9 | | upper respiratory infection; uri; upper respiratory tract infection; viral uri; common cold; acute uri
J02.9 | | pharyngitis; acute pharyngitis; sore throat
J02.0 | | strep throat; streptococcal pharyngitis; strep pharyngitis
J01.90 | | acute sinusitis; sinus infection
J01.00 | | acute maxillary sinusitis
J32.9 | | sinusitis; chronic sinusitis
J30.9 | c | allergic rhinitis; hay fever; seasonal allergies
J31.0 | | rhinitis; chronic rhinitis; purulent rhinitis
J20.9 | | acute bronchitis; bronchitis
J96.01 | | acute respiratory failure with hypoxia; acute hypoxic respiratory failure
J96.01 | | acute hypoxemic respiratory failure
J96.00 | | acute respiratory failure
J91.0 | | malignant pleural effusion
J90 | | pleural effusion
J84.10 | c | pulmonary fibrosis
G47.33 | c | obstructive sleep apnea; osa; sleep apnea
H66.90 | | otitis media; acute otitis media; ear infection; aom
H66.91 | | right otitis media; otitis media right ear; right acute otitis media; acute otitis media right ear
H66.92 | | left otitis media; otitis media left ear; left acute otitis media; acute otitis media left ear
H66.93 | | bilateral otitis media; otitis media both ears; bilateral acute otitis media
H92.11 | | right otorrhea; otorrhea right ear
H92.12 | | left otorrhea; otorrhea left ear
H92.01 | | right ear pain; right otalgia
H92.02 | | left ear pain; left otalgia
K21.9 | c | gerd; gastroesophageal reflux disease; gastroesophageal reflux; acid reflux; reflux; esophageal reflux
K21.00 | c | gerd with esophagitis; reflux esophagitis
K29.70 | | gastritis
K58.9 | c | irritable bowel syndrome; ibs
K57.30 | c | diverticulosis; diverticulosis colon
K57.32 | | diverticulitis; diverticulitis colon
K52.9 | | gastroenteritis; acute gastroenteritis; colitis
A08.4 | | viral gastroenteritis; stomach flu
K35.80 | | appendicitis; acute appendicitis
K80.20 | | cholelithiasis; gallstones; gallstone
K80.00 | | acute cholecystitis with cholelithiasis; calculous cholecystitis
K81.0 | | acute cholecystitis
K85.90 | | acute pancreatitis; pancreatitis
K59.00 | | constipation
K56.609 | | small bowel obstruction; sbo; bowel obstruction; intestinal obstruction
K56.0 | | paralytic ileus; ileus
K92.2 | | gi bleed; gastrointestinal bleed; gastrointestinal hemorrhage
K70.30 | c | alcoholic cirrhosis
K74.60 | c | cirrhosis; cirrhosis liver
K76.0 | c | fatty liver; hepatic steatosis; nafld
N39.0 | | urinary tract infection; uti
N30.00 | | acute cystitis; cystitis
N10 | | pyelonephritis; acute pyelonephritis
N17.9 | | acute kidney injury; aki; acute renal failure; arf; acute kidney failure
N18.9 | c | chronic kidney disease; ckd; chronic renal insufficiency; chronic renal failure; crf
N18.1 | c | ckd stage 1; chronic kidney disease stage 1
N18.2 | c | ckd stage 2; chronic kidney disease stage 2
N18.30 | c | ckd stage 3; chronic kidney disease stage 3
N18.31 | c | ckd stage 3a; chronic kidney disease stage 3a
N18.32 | c | ckd stage 3b; chronic kidney disease stage 3b
N18.4 | c | ckd stage 4; chronic kidney disease stage 4
N18.5 | c | ckd stage 5; chronic kidney disease stage 5
N18.6 | c | end stage renal disease; esrd; end stage kidney disease
N28.9 | | renal insufficiency; kidney insufficiency
N20.0 | | kidney stone; renal calculus; nephrolithiasis; kidney stones; renal stone; intrarenal stone
N20.1 | | ureteral stone; ureterolithiasis
N40.0 | c | bph; benign prostatic hyperplasia; benign prostatic hypertrophy; enlarged prostate; prostatic hypertrophy
N40.1 | c | bph with luts; bph with lower urinary tract symptoms
N32.0 | | bladder neck obstruction
N13.9 | | urinary obstruction; obstructive uropathy
R33.9 | | urinary retention
N39.3 | | stress incontinence; stress urinary incontinence
N92.0 | | menorrhagia
N92.1 | | menometrorrhagia
N94.6 | | dysmenorrhea
D25.9 | | uterine fibroids; uterine fibroid; fibroid uterus; leiomyoma uterus
N95.1 | | menopausal symptoms; menopause symptoms
F32.A | c | depression; depressive disorder; depressed mood disorder
F32.9 | c | major depressive disorder; major depression; mdd
F32.1 | c | major depressive disorder single episode moderate; moderate major depression
F33.0 | c | major depressive disorder recurrent mild; recurrent major depression mild
F33.1 | c | major depressive disorder recurrent moderate
F33.9 | c | recurrent major depressive disorder; major depressive disorder recurrent
F41.1 | c | generalized anxiety disorder; gad
F41.9 | c | anxiety; anxiety disorder
F41.0 | c | panic disorder
F43.10 | c | ptsd; post traumatic stress disorder
F31.9 | c | bipolar disorder
F20.9 | c | schizophrenia
F90.9 | c | adhd; attention deficit hyperactivity disorder
F84.5 | c | asperger; asperger disorder; asperger syndrome
F84.0 | c | autism; autistic disorder
F42.9 | c | obsessive compulsive disorder; ocd
Z72.0 | | tobacco use; tobacco user; uses tobacco
Z87.891 | | ex smoker; quit smoking; former smoker; former tobacco use
Z12.11 | | colon cancer screening; screening for colon cancer; colorectal cancer screening; screening colonoscopy
Z12.11 | | screening for colorectal cancer; routine colorectal cancer screening; routine colon cancer screening
Z12.31 | | screening mammogram; screening mammography; breast cancer screening; screening for breast cancer
Z83.719 | | family history of colon polyps; family history of colonic polyps; family history of polyps
Z86.0100 | | history of colon polyps; history of colonic polyps; personal history of colon polyps
F10.20 | c | alcohol dependence; alcoholism; alcohol use disorder
F10.10 | c | alcohol abuse
F17.210 | c | current smoker; smoker; smokes cigarettes; cigarette smoker; tobacco dependence
F17.210 | c | nicotine dependence cigarettes; tobacco use disorder; smokes; pack a day
F03.90 | c | dementia
G30.9 | c | alzheimer disease; alzheimers; alzheimer
G20.A1 | c | parkinson disease; parkinsons disease; parkinson
G40.909 | c | seizure disorder; epilepsy
R56.9 | | seizure; seizures
G43.909 | | migraine; migraines; migraine headache
G43.009 | | migraine without aura; common migraine
G43.109 | | migraine with aura; classic migraine
G44.209 | | tension headache; tension type headache
G35.D | c | multiple sclerosis
G89.4 | c | chronic pain syndrome
G56.00 | | carpal tunnel syndrome
M54.50 | | low back pain; lbp; lumbago; lower back pain
M54.2 | | neck pain; cervicalgia
M54.9 | | back pain
M54.16 | | lumbar radiculopathy
M54.30 | | sciatica
M19.90 | c | osteoarthritis; degenerative joint disease; djd; arthritis
M17.0 | c | bilateral osteoarthritis knees; bilateral knee osteoarthritis; osteoarthritis both knees
M17.0 | c | bilateral primary osteoarthritis knees; osteoarthritis bilateral knees
M17.11 | c | osteoarthritis right knee; right knee osteoarthritis; primary osteoarthritis right knee
M17.12 | c | osteoarthritis left knee; left knee osteoarthritis; primary osteoarthritis left knee
M06.9 | c | rheumatoid arthritis
M10.9 | c | gout
M81.0 | c | osteoporosis
M79.7 | c | fibromyalgia
M72.2 | | plantar fasciitis
M77.31 | | right heel spur; heel spur right foot; calcaneal spur right foot
M25.561 | | right knee pain; knee pain right
M25.562 | | left knee pain; knee pain left
M25.511 | | right shoulder pain
M25.512 | | left shoulder pain
M79.604 | | right leg pain
M79.605 | | left leg pain
M30.3 | | kawasaki disease; mucocutaneous lymph node syndrome
L03.115 | | cellulitis right lower leg; right lower leg cellulitis; cellulitis right leg; right leg cellulitis
L03.116 | | cellulitis left lower leg; left lower leg cellulitis; cellulitis left leg; left leg cellulitis
L03.90 | | cellulitis
L30.9 | | dermatitis; eczema; hand dermatitis; hand eczema
L20.9 | | atopic dermatitis
L40.9 | c | psoriasis
L50.9 | | urticaria; hives
L60.0 | | ingrown toenail; ingrown nail; onychocryptosis
B35.1 | | onychomycosis; toenail fungus
B08.3 | | fifth disease; erythema infectiosum
B34.9 | | viral infection; viral syndrome; viral illness
B02.9 | | shingles; herpes zoster
L98.8 | | facial rhytids; rhytids; wrinkles
A41.9 | | sepsis
A41.51 | | e coli sepsis; sepsis due e coli; sepsis due escherichia coli; escherichia coli sepsis
R65.20 | | severe sepsis
C50.919 | | breast cancer; carcinoma breast; breast carcinoma
C18.9 | | colon cancer; colon carcinoma; colorectal cancer
C34.90 | | lung cancer; small cell lung cancer; non small cell lung cancer; nsclc; carcinoma lung; lung carcinoma
C61 | | prostate cancer; carcinoma prostate; adenocarcinoma prostate; prostate adenocarcinoma; prostatic carcinoma
C67.9 | | bladder cancer
C25.9 | | pancreatic cancer
C56.9 | | ovarian cancer
C22.0 | | liver cancer; hepatocellular carcinoma
C45.0 | | mesothelioma; pleural mesothelioma
C88.40 | | malt lymphoma; marginal zone lymphoma
C85.90 | | lymphoma; non hodgkin lymphoma
C95.90 | | leukemia
C43.9 | | melanoma
K63.5 | | colon polyp; colon polyps; polyp colon
R05.9 | | cough
R50.9 | | fever; febrile
R51.9 | | headache; headaches
R06.02 | | shortness of breath; sob
R06.00 | | dyspnea; difficulty breathing; trouble breathing
R07.9 | | chest pain
R07.89 | | atypical chest pain
R07.81 | | pleuritic chest pain; pleuritic pain
R10.9 | | abdominal pain
R10.31 | | right lower quadrant pain; right lower quadrant abdominal pain; rlq pain; rlq abdominal pain
R10.32 | | left lower quadrant pain; left lower quadrant abdominal pain; llq pain
R10.11 | | right upper quadrant pain; right upper quadrant abdominal pain; ruq pain
R10.13 | | epigastric pain; epigastric abdominal pain
R11.0 | | nausea
R11.2 | | nausea and vomiting; nausea with vomiting; n v
R11.10 | | vomiting
R19.7 | | diarrhea
R12 | | heartburn
R30.0 | | dysuria
R31.9 | | hematuria
R31.29 | | microhematuria; microscopic hematuria
R35.0 | | urinary frequency
R42 | | dizziness; vertigo; lightheadedness
R53.83 | | fatigue; tiredness
R55 | | syncope; fainting; syncopal episode
R00.2 | | palpitations
R60.0 | | pedal edema; leg swelling; ankle swelling; pedal swelling; localized edema
R09.81 | | nasal congestion; congestion
R63.4 | | weight loss; abnormal weight loss
R63.0 | | anorexia
R94.31 | | abnormal ekg; abnormal ecg; abnormal electrocardiogram; t wave abnormality; t wave abnormalities
R94.5 | | abnormal liver function tests; abnormal lfts; elevated liver enzymes; elevated lfts
R79.1 | | supratherapeutic inr; inr above therapeutic range; elevated inr
R03.0 | | elevated blood pressure reading
R18.8 | | ascites
R20.1 | | hypoesthesia; diminished sensation; decreased sensation; numbness
R25.1 | | tremor
K00.7 | | teething
T46.0X5A | | digitalis toxicity; digoxin toxicity
T63.461A | | wasp sting; yellow jacket sting
"""

# Condition (code prefix, longest first wins) -> personal-history code, for "history of X" when X is over.
HISTORY_CODES: dict[str, str] = {
    "C50": "Z85.3", "C18": "Z85.038", "C19": "Z85.048", "C20": "Z85.048", "C34": "Z85.118", "C61": "Z85.46",
    "C67": "Z85.51", "C64": "Z85.528", "C56": "Z85.43", "C53": "Z85.41", "C54": "Z85.42", "C43": "Z85.820",
    "C73": "Z85.850", "C25": "Z85.07", "C16": "Z85.028", "C85": "Z85.72", "C95": "Z85.6", "C91": "Z85.6",
    "I82.4": "Z86.718", "I82": "Z86.718", "I26": "Z86.711", "I63": "Z86.73", "G45": "Z86.73", "I21": "I25.2",
    "N20": "Z87.442", "J18": "Z87.01", "J69": "Z87.01", "K63.5": "Z86.0100", "N39.0": "Z87.440",
    "F17": "Z87.891", "Z72.0": "Z87.891", "K25": "Z87.11", "K26": "Z87.11", "K27": "Z87.11", "O00": "Z87.59",
    "S06": "Z87.820",
    "I46": "Z86.74", "A41": "Z86.19",
}

# Condition (code prefix) -> family-history code (Z80-Z84).
FAMILY_CODES: dict[str, str] = {
    "C50": "Z80.3", "C15": "Z80.0", "C16": "Z80.0", "C17": "Z80.0", "C18": "Z80.0", "C19": "Z80.0",
    "C20": "Z80.0", "C21": "Z80.0", "C22": "Z80.0", "C25": "Z80.0", "C34": "Z80.1", "C61": "Z80.42",
    "C56": "Z80.41", "C53": "Z80.49", "C54": "Z80.49", "C55": "Z80.49", "C64": "Z80.51", "C67": "Z80.52",
    "C91": "Z80.6", "C92": "Z80.6", "C95": "Z80.6", "C81": "Z80.7", "C85": "Z80.7", "C88": "Z80.7",
    "C43": "Z80.8", "C45": "Z80.2", "C": "Z80.9",
    "I21": "Z82.49", "I25": "Z82.49", "I10": "Z82.49", "I50": "Z82.49", "I48": "Z82.49", "I20": "Z82.49",
    "I63": "Z82.3", "G45": "Z82.3", "E11": "Z83.3", "E10": "Z83.3", "E66": "Z83.49", "E78": "Z83.42",
    "E03": "Z83.49", "F32": "Z81.8", "F33": "Z81.8", "F41": "Z81.8", "F31": "Z81.8", "F20": "Z81.8",
    "F10": "Z81.1", "G40": "Z82.0", "G30": "Z82.0", "G20": "Z82.0", "G35": "Z82.0", "F03": "Z82.0",
    "J45": "Z82.5", "J44": "Z82.5", "N18": "Z84.19", "N20": "Z84.19", "M81": "Z82.62", "M06": "Z82.61",
    "M19": "Z82.61", "M17": "Z82.61", "K63.5": "Z83.719", "H40": "Z83.511", "K50": "Z83.79", "K51": "Z83.79",
    "D64": "Z83.2",
}

# Complication (code) coded with the diabetes it accompanies ("with" presumes the link, guideline I.A.15).
DIABETES_WITH: dict[str, str] = {
    "E11.65": "E11.65", "E11.649": "E11.649", "E11.40": "E11.40", "E11.42": "E11.42", "E11.43": "E11.43",
    "E11.319": "E11.319", "E11.21": "E11.21", "E11.22": "E11.22", "E11.51": "E11.51", "E11.621": "E11.621",
    "N18.1": "E11.22", "N18.2": "E11.22", "N18.30": "E11.22", "N18.31": "E11.22", "N18.32": "E11.22",
    "N18.4": "E11.22", "N18.5": "E11.22", "N18.6": "E11.22", "N18.9": "E11.22",
}


@dataclass(frozen=True, slots=True)
class CuratedRow:
    code: str
    chronic: bool
    without_diabetes: str | None  # the code when the note documents no diabetes
    phrases: tuple[str, ...]


def curated_rows() -> list[CuratedRow]:
    rows = []
    for line in CURATED.strip().splitlines():
        code, flags, phrases = (part.strip() for part in line.split("|"))
        fallback = next((flag[2:] for flag in flags.split() if flag.startswith("d=")), None)
        rows.append(CuratedRow(code, "c" in flags.split(), fallback,
                               tuple(phrase.strip() for phrase in phrases.split(";") if phrase.strip())))
    return rows


def by_prefix(table: dict[str, str], code: str) -> str | None:
    for length in range(len(code), 0, -1):
        found = table.get(code[:length])
        if found:
            return found
    return None
