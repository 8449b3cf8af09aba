"""The customer's own words, from shared/seeds/004_850e971aeba85857.txt (the demo program)."""

PROGRAM_SLUG = "sociocracy-cop-executives"
TITLE = ("Nurturing Healthy Culture with Sociocracy: "
         "A Community of Practice for Executive Leaders")

DESCRIPTION = """Sociocracy holds tremendous potential to unleash the creative capacity of people to solve the many issues facing the world. But it is a radically different way of working, and it requires profound changes to an organization’s culture. Some of the differences can surprise and challenge you, and trying something this new can feel really risky.

We’ve seen first hand how challenging this can be for leaders:

“When I (Evan) was in the middle of my implementation, everything I was trying to do flew in the face of ‘normal’. I longed for a group of peers where I could bring my situation and know it would be treated with respect, and where I could get the support I needed to both stand my ground and be challenged to see the world in new ways. All the books and workshops and articles about implementing sociocracy are great, but I wanted to be in conversation with people who were actively practicing it and wrestling with the nitty-gritty details of real organizations.”

We’ve designed this Community of Practice to be that group of peers.

Will you join us?"""

OUTCOMES = [
    "Exchange experiences with others about your sociocratic journey",
    "Get feedback on your efforts in a safe and supportive environment",
    "Expand your vision of what is possible",
    "Develop mutual accountability with peers",
    "Nurture self-awareness of how your behavior impacts your organization",
    "Ease the loneliness of transitions to a new culture",
]

ORIGIN = """The idea for this Community of Practice arose from a webinar, Three CEOs, Three Business Sectors, Three Stories of Implementing Sociocracy, that we did in March of 2023. (Go to that link for the trailer and the full webinar recording. Use the code 3CEOS4FREE to view the recording for free.) The three CEOs shared their experiences and compared notes. Both novices and the more experienced gained so much from the interchange that we wanted to create a space for executive leaders to meet and exchange ideas and support.

Evan Miller, sociocratic leader and leadership coach, was one of the CEOs in that webinar. Sheella Mierson, sociocracy consultant, was facilitator. Evan and Sheella are now teaming up to lead this Community of Practice."""

AUDIENCE = """We have space for up to nine executive leaders of organizations implementing sociocracy. This includes CEOs, executive directors, board members, and general managers. It includes those in the early stages and those further along. Organizations can be of any size, and can be for profit or not for profit."""

PREREQUISITES = """Members need to have taken or be taking TSCG’s Foundations of Sociocracy training course or equivalent."""

FORMAT_NOTES = """The Community of Practice is for six months. Meetings will last up to three hours each, and will be held approximately monthly. We will record the sessions, so if you miss one you will be able to watch it."""

FACILITATORS = [
    {
        "name": "Evan Miller",
        "title": "Sociocratic leader and leadership coach",
        "email": "evan.miller@example.org",
        "bio": """Evan Miller was CEO (1992-2018) of Hertzler Systems Inc., a software company in Goshen, Indiana, USA. The company began its journey with the Sociocratic Circle-organization Method in 2014. Evan says that adopting sociocracy enabled the company to rapidly adapt and thrive even following his retirement from the company, and even in the turmoil of the pandemic. It also made his early retirement possible, since leadership was now dispersed and less dependent on one person (him). Evan is a certified Leadership Agility 360 coach. He provides leadership coaching and spiritual companionship, and is on staff at a spiritual retreat center.""",
    },
    {
        "name": "Sheella Mierson",
        "title": "Member Consultant, The Sociocracy Consulting Group",
        "email": "sheella.mierson@example.org",
        "bio": """Sheella Mierson, Ph.D., a founding member of The Sociocracy Consulting Group, helps organizations design relationships, processes, and structures for collaboration so that people and the organization can flourish. As a sociocracy consultant, she has helped organizations of various sizes to implement the Sociocratic Circle-organization Method (SCM); taught training courses in the Foundations of Sociocracy and in Facilitating Sociocracy, both online and in person; and written numerous blogs and articles about the SCM. She is a certified facilitator for the Blueprint of We Collaboration Document, used to build trust, creativity, effortlessness, and resilience into relationships. Her passion is to create joyful, productive relationships and workplaces, where everyone’s voice matters.""",
    },
]

REBATE_NOTE = ("Due to current exchange rates, Canadian, Australian, and New Zealand participants "
               "will receive a 25% rebate on registration fees. Register and pay at the normal US "
               "dollar rates and we will provide your rebate after the community of practice "
               "starts.")

# The seed refers to a "complete cancellation policy at end of registration form" without giving
# it; this default states the rules the service applies, and each cohort may change them.
CANCELLATION_POLICY_TEXT = """If you cancel on or before the cancellation deadline, we refund everything you have paid, including the deposit.
If you cancel after the cancellation deadline and before the first meeting starts, we refund everything you have paid except the deposit.
Once the first meeting has started, we do not give refunds; the sessions are recorded so you can catch up on any you miss.
If the Community of Practice does not go ahead, we refund everything you have paid."""

# The six meetings, 16:00–19:00 America/Los_Angeles ("Mary 22nd" in the seed means May 22nd).
MEETING_DATES_2024 = [(2, 7), (2, 28), (3, 27), (4, 17), (5, 22), (6, 26)]
