"""A synthetic patient index with planted duplicates and look-alike households, the truth kept.

`generate(count, seed)` yields pandas frames of `chunk` rows. Each row is one registration as a
legacy index holds it, with `person` (which real person it is: rows sharing it are duplicates of
one another) and `kind` (what the row is: "original", a household relation, or the corruption a
duplicate carries). Nothing here reads the database or Django: bench/_mpi_scale.py loads the frames.

The shape, per chunk (a duplicate and its original always share a chunk, so chunks stream):
- about 87% people of their own ("original"), names drawn with a long tail as in bench.patients;
- about 8% members of an original's household, who are NOT duplicates: a twin (same birth date,
  family, address and phone, another given name), a Jr to a Sr (same given and family names, the
  father's record gets "Sr"), a spouse (other sex and given name, same address and phone) or a
  child (same family, address and phone, born 20-40 years later);
- 5% duplicates of an earlier row of the chunk (an original or a household member), each with one
  or two corruptions a registration desk makes: a typo (two letters swapped, one dropped or
  doubled), given and family swapped, a nickname, a move (new address and phone), missing fields
  (birth date, phone, address or SSN), day and month of birth transposed, a hyphenated or compound
  family name (Garcia -> Garcia-Lopez, or the second part dropped).

Vectorised with numpy for the bulk of the rows; only the 5% duplicates are corrupted row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd

from bench.patients import name_pools

DUPLICATE_SHARE = 0.05
HOUSEHOLD_SHARE = 0.08
SSN_SHARE = 0.45  # share of people whose SSN the index holds
TODAY = np.datetime64("2026-11-01")
HOUSEHOLD_KINDS = ("twin", "junior", "spouse", "child")
CORRUPTIONS = ("typo", "swap", "nickname", "moved", "missing", "day_month", "compound")
STREETS = ("Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lincoln", "Lake", "Hill", "Park", "Walnut",
           "Pine", "Jefferson", "Madison", "Sheridan", "Halsted", "Ashland", "Division", "Cermak", "Kedzie",
           "Pulaski", "Western", "Damen", "Grand", "Prairie", "Archer", "Milwaukee", "Center", "Church",
           "Spring", "River", "Highland", "Forest", "Sunset", "Ridge", "Meadow", "Mill", "Chestnut", "Willow")
STREET_KINDS = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Ct", "Pl")
# city, state, ZIP, area code: a spread of ZIPs so that a postal code is not a household marker
CITIES = (("Springfield", "IL", "627", "217"), ("Chicago", "IL", "606", "312"), ("Evanston", "IL", "602", "847"),
          ("Naperville", "IL", "605", "630"), ("Milwaukee", "WI", "532", "414"), ("Madison", "WI", "537", "608"),
          ("Gary", "IN", "464", "219"), ("Indianapolis", "IN", "462", "317"), ("St. Louis", "MO", "631", "314"),
          ("Peoria", "IL", "616", "309"), ("Rockford", "IL", "611", "815"), ("Kenosha", "WI", "531", "262"))
NICKNAMES = {
    "William": "Bill", "Robert": "Bob", "Richard": "Dick", "James": "Jim", "Michael": "Mike", "Thomas": "Tom",
    "Charles": "Chuck", "Daniel": "Dan", "Joseph": "Joe", "John": "Jack", "Elizabeth": "Liz",
    "Margaret": "Peggy", "Katherine": "Kate", "Jennifer": "Jen", "Susan": "Sue", "Patrick": "Pat",
    "Alejandro": "Alex", "Francisco": "Paco", "Mary": "Molly", "Sarah": "Sally", "Emily": "Em",
    "Hannah": "Anna", "Linda": "Lindy", "Jasmine": "Jaz", "Andre": "Dre", "Marcus": "Mark",
}
COLUMNS = ["source_id", "person", "household", "kind", "given_name", "family_name", "suffix", "birth_date", "sex",
           "address_line", "city", "state", "postal_code", "phone", "ssn"]


def _weights(count: int, offset: int) -> np.ndarray:
    weights = 1.0 / (np.arange(count) + offset)
    return weights / weights.sum()


class Index:
    """Name pools and their weights, drawn once; `chunk()` makes one frame of rows."""

    def __init__(self, seed: int) -> None:
        family, female, male = name_pools()
        self.family = np.array(family, dtype=object)
        self.female = np.array(female + [n for n in NICKNAMES if n not in female and n in ("Mary", "Sarah")],
                                dtype=object)
        self.male = np.array(male, dtype=object)
        self.pf, self.pw, self.pm = (_weights(len(self.family), 25), _weights(len(self.female), 10),
                                     _weights(len(self.male), 10))
        self.rng = np.random.default_rng(seed)

    # --- people of their own -----------------------------------------------------------------

    def _given(self, sex: np.ndarray) -> np.ndarray:
        rng = self.rng
        given = rng.choice(self.male, size=len(sex), p=self.pm)
        female = sex == "F"
        given[female] = rng.choice(self.female, size=int(female.sum()), p=self.pw)
        return given

    def _addresses(self, count: int) -> tuple[np.ndarray, ...]:
        rng = self.rng
        numbers = rng.integers(1, 9999, size=count).astype(str)
        streets = rng.choice(np.array(STREETS, dtype=object), size=count)
        kinds = rng.choice(np.array(STREET_KINDS, dtype=object), size=count)
        line = pd.Series(numbers, dtype=object) + " " + pd.Series(streets) + " " + pd.Series(kinds)
        city = rng.integers(0, len(CITIES), size=count)
        cities = np.array([c[0] for c in CITIES], dtype=object)[city]
        states = np.array([c[1] for c in CITIES], dtype=object)[city]
        zips = (pd.Series(np.array([c[2] for c in CITIES], dtype=object)[city])
                + pd.Series(rng.integers(1, 99, size=count)).map("{:02d}".format))
        area = np.array([c[3] for c in CITIES], dtype=object)[city]
        phones = (pd.Series(area) + pd.Series(rng.integers(200, 999, size=count)).astype(str)
                  + pd.Series(rng.integers(0, 10000, size=count)).map("{:04d}".format))
        return line.to_numpy(), cities, states, zips.to_numpy(), phones.to_numpy()

    def _ssns(self, count: int) -> np.ndarray:
        rng = self.rng
        ssn = (pd.Series(rng.integers(1, 666, size=count)).map("{:03d}".format)
               + pd.Series(rng.integers(1, 100, size=count)).map("{:02d}".format)
               + pd.Series(rng.integers(1, 10000, size=count)).map("{:04d}".format)).to_numpy()
        ssn[rng.random(count) >= SSN_SHARE] = ""
        return ssn

    def chunk(self, start: int, count: int) -> pd.DataFrame:
        rng = self.rng
        sex = rng.choice(np.array(["F", "M"], dtype=object), size=count)
        # Ages with a hospital's long right tail; the few over 99 redrawn between 80 and 99 (clipping
        # them would pile them onto one birth date).
        years = rng.gamma(2.2, 18.0, size=count)
        years = np.where(years > 99, rng.uniform(80, 99, size=count), years)
        age_days = (years * 365.25).astype(int)
        frame = pd.DataFrame({
            "source_id": np.arange(start, start + count),
            "person": np.arange(start, start + count),
            "household": np.arange(start, start + count),
            "kind": np.full(count, "original", dtype=object),
            "given_name": self._given(sex),
            "family_name": rng.choice(self.family, size=count, p=self.pf),
            "suffix": np.full(count, "", dtype=object),
            "birth_date": TODAY - age_days.astype("timedelta64[D]"),
            "sex": sex,
        })
        (frame["address_line"], frame["city"], frame["state"], frame["postal_code"],
         frame["phone"]) = self._addresses(count)
        frame["ssn"] = self._ssns(count)
        roles = rng.random(count)
        roles[: max(1, count // 50)] = 1.0  # the first rows of a chunk are originals: others point back
        households = np.flatnonzero((roles < HOUSEHOLD_SHARE + DUPLICATE_SHARE) & (roles >= DUPLICATE_SHARE))
        duplicates = np.flatnonzero(roles < DUPLICATE_SHARE)
        originals = np.flatnonzero(roles >= HOUSEHOLD_SHARE + DUPLICATE_SHARE)
        self._households(frame, households, originals)
        self._duplicates(frame, duplicates)
        frame["birth_date"] = frame["birth_date"].map(lambda d: "" if pd.isna(d) else str(d)[:10])
        return frame[COLUMNS]

    # --- households: alike, but other people ---------------------------------------------------

    def _households(self, frame: pd.DataFrame, rows: np.ndarray, originals: np.ndarray) -> None:
        rng = self.rng
        # The head of household is an original from earlier in the chunk.
        before = np.searchsorted(originals, rows)
        heads = originals[(rng.random(len(rows)) * before).astype(int)]
        kinds = rng.choice(np.array(HOUSEHOLD_KINDS, dtype=object), size=len(rows), p=[0.2, 0.15, 0.35, 0.3])
        kinds[(kinds == "junior") & (frame.loc[heads, "sex"].to_numpy() == "F")] = "child"  # Jr/Sr: father, son
        frame.loc[rows, "household"] = heads + int(frame["source_id"].iat[0])
        shared = ["family_name", "address_line", "city", "state", "postal_code", "phone"]
        frame.loc[rows, shared] = frame.loc[heads, shared].to_numpy()
        frame.loc[rows, "kind"] = kinds
        head_birth = frame.loc[heads, "birth_date"].to_numpy()
        twin = kinds == "twin"
        frame.loc[rows[twin], "birth_date"] = head_birth[twin]
        junior = kinds == "junior"
        frame.loc[rows[junior], ["given_name", "sex"]] = frame.loc[heads[junior], ["given_name", "sex"]].to_numpy()
        # A son or child is 20-40 years younger; where that would be in the future, older instead
        # (the member is the parent; for Jr/Sr the suffixes go the other way).
        gap = (rng.integers(20, 41, size=len(rows)) * 365.25).astype(int).astype("timedelta64[D]")
        older = head_birth + gap > TODAY
        gap[older] = -gap[older]
        frame.loc[rows[junior], "suffix"] = np.where(older[junior], "Sr", "Jr")
        frame.loc[heads[junior], "suffix"] = np.where(older[junior], "Jr", "Sr")
        frame.loc[rows[junior], "birth_date"] = head_birth[junior] + gap[junior]
        child = kinds == "child"
        frame.loc[rows[child], "birth_date"] = head_birth[child] + gap[child]
        spouse = kinds == "spouse"
        frame.loc[rows[spouse], "sex"] = np.where(frame.loc[heads[spouse], "sex"].to_numpy() == "F", "M", "F")
        frame.loc[rows[spouse], "birth_date"] = head_birth[spouse] + rng.integers(
            -2000, 2000, size=int(spouse.sum())).astype("timedelta64[D]")
        # Twins, spouses and children have a given name of their own (redrawn until it differs).
        others = rows[~junior]
        head_given = frame.loc[heads[~junior], "given_name"].to_numpy()
        given = self._given(frame.loc[others, "sex"].to_numpy())
        same = given == head_given
        while same.any():
            given[same] = self._given(frame.loc[others[same], "sex"].to_numpy())
            same = given == head_given
        frame.loc[others, "given_name"] = given
        late = frame.loc[rows, "birth_date"].to_numpy() > TODAY  # a spouse drawn younger than a newborn head
        frame.loc[rows[late], "birth_date"] = TODAY - np.timedelta64(30, "D")

    # --- duplicates: one person, registered twice with the desk's errors --------------------------

    def _duplicates(self, frame: pd.DataFrame, rows: np.ndarray) -> None:
        rng = self.rng
        drawn = (rng.random(len(rows)) * rows).astype(int)  # an earlier row of the chunk
        # A duplicate of a duplicate is a copy of that duplicate's own source: one person.
        source_of: dict[int, int] = {}
        for row, source in zip(rows.tolist(), drawn.tolist(), strict=True):
            source_of[row] = source_of.get(source, source)
        sources = np.array([source_of[row] for row in rows.tolist()], dtype=int)
        frame.loc[rows, COLUMNS[1:]] = frame.loc[sources, COLUMNS[1:]].to_numpy()
        first = rng.choice(np.array(CORRUPTIONS, dtype=object), size=len(rows),
                           p=[0.3, 0.06, 0.12, 0.16, 0.16, 0.08, 0.12])
        second = np.where(rng.random(len(rows)) < 0.35,
                          rng.choice(np.array(CORRUPTIONS, dtype=object), size=len(rows)), "")
        moves = self._addresses(len(rows))
        kinds, corrupted = [], []
        for position, record in enumerate(frame.loc[rows, COLUMNS[4:]].to_dict("records")):
            applied = []
            for corruption in dict.fromkeys(c for c in (first[position], second[position]) if c):
                if self._corrupt(record, corruption, [column[position] for column in moves]):
                    applied.append(corruption)
            kinds.append("duplicate:" + ("+".join(applied) or "exact"))
            corrupted.append(record)
        frame.loc[rows, COLUMNS[4:]] = pd.DataFrame(corrupted, columns=COLUMNS[4:]).to_numpy()
        frame.loc[rows, "kind"] = kinds

    def _typo(self, word: str) -> str:
        if len(word) < 4:
            return word + word[-1:]
        rng = self.rng
        i = int(rng.integers(1, len(word) - 1))
        way = rng.integers(0, 3)
        if way == 0 and word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if way == 1:
            return word[:i] + word[i + 1:]
        return word[:i] + word[i] + word[i:]

    def _corrupt(self, record: dict[str, object], corruption: str, moved: list[str]) -> bool:
        rng = self.rng
        given, family = str(record["given_name"]), str(record["family_name"])
        if corruption == "typo":
            field = "given_name" if rng.random() < 0.4 else "family_name"
            record[field] = self._typo(str(record[field]))
        elif corruption == "swap":
            record["given_name"], record["family_name"] = family, given
        elif corruption == "nickname":
            if given not in NICKNAMES:
                return False
            record["given_name"] = NICKNAMES[given]
        elif corruption == "moved":
            (record["address_line"], record["city"], record["state"], record["postal_code"],
             record["phone"]) = moved
        elif corruption == "missing":
            field = str(rng.choice(["birth_date", "phone", "address", "ssn"]))
            if field == "address":
                for column in ("address_line", "city", "state", "postal_code"):
                    record[column] = ""
            elif field == "birth_date":
                record["birth_date"] = pd.NaT
            else:
                record[field] = ""
        elif corruption == "day_month":
            born = record["birth_date"]
            if pd.isna(born):
                return False
            day = pd.Timestamp(born)
            if day.day > 12 or day.day == day.month:
                return False
            record["birth_date"] = np.datetime64(date(day.year, day.day, day.month))
        elif corruption == "compound":
            if "-" in family:
                record["family_name"] = family.split("-")[0]
            else:
                record["family_name"] = f"{family}-{rng.choice(self.family[:400])}"
        return True


def generate(count: int, seed: int, chunk: int = 100_000) -> Iterator[pd.DataFrame]:
    """`count` rows in frames of `chunk` rows; the same seed gives the same rows."""
    index = Index(seed)
    for start in range(0, count, chunk):
        yield index.chunk(start, min(chunk, count - start))


def truth_pairs(persons: np.ndarray) -> set[tuple[int, int]]:
    """Every pair of row positions (low, high) that are one person."""
    order = np.argsort(persons, kind="stable")
    sorted_persons = persons[order]
    pairs: set[tuple[int, int]] = set()
    starts = np.flatnonzero(np.r_[True, sorted_persons[1:] != sorted_persons[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for begin, end in zip(starts, ends, strict=True):
        if end - begin > 1:
            members = sorted(order[begin:end].tolist())
            pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    return pairs
