"""The fixed answers an applicant chooses from, with the words shown to people."""

ROLES = [
    ("ceo", "CEO"),
    ("executive_director", "Executive director"),
    ("board_member", "Board member"),
    ("general_manager", "General manager"),
    ("other", "Other (please give your title)"),
]
#: A role as a list names it (an "other" role is shown by the title given instead).
ROLE_NAMES = {**dict(ROLES), "other": "Other"}
ORGANISATION_SIZES = [
    ("1-9", "1–9 people"),
    ("10-49", "10–49 people"),
    ("50-249", "50–249 people"),
    ("250-999", "250–999 people"),
    ("1000+", "1,000 people or more"),
]
SECTORS = [("for_profit", "For profit"), ("not_for_profit", "Not for profit")]
SOCIOCRACY_STAGES = [
    ("exploring", "Exploring: we have not started implementing yet"),
    ("early", "Early: implementing for less than a year"),
    ("established", "Established: one to three years in"),
    ("mature", "Further along: more than three years in"),
]
PREREQUISITES = [
    ("taken", "I have taken the prerequisite training named above"),
    ("in_progress", "I am taking the prerequisite training now"),
    ("equivalent", "I have equivalent training (please describe it)"),
]


def label(choices: list[tuple[str, str]], value: str) -> str:
    """The words for a stored choice."""
    return dict(choices).get(value, value)

# The PRO plan's criteria (seed 000: "Who is the PRO Plan for?", "criteria for selection").
S3_TRAINING = [
    ("yes", "Yes, I have taken formal training in Sociocracy 3.0"),
    ("in_progress", "I am taking formal training in Sociocracy 3.0 now"),
    ("no", "No: I will say why it is valuable that I join anyway"),
]
HELPING_OTHERS = [
    ("working", "I am working with others to help them learn about and apply S3"),
    ("intending", "I intend to start working with others to help them learn and apply S3"),
]
