"""The S3 Online Learning Community's page in its own words (seed 000), as demo data.

Only the terms' text is ours: the seed names the Member Guidelines and Terms of Confidentiality
but does not give them, so the demo writes a version that follows the seed's answer on
confidentiality and says it is demo text.
"""

from __future__ import annotations

from typing import Any

SLUG = "s3-online-learning"
NAME = "Sociocracy 3.0 Online Learning Community"
TAGLINE = "Share And Learn With Practitioners From Around The World"
CONTACT = "community@example.org"

SECTIONS: list[dict[str, Any]] = [
    {"heading": "Become Part of an International Community, Committed to Improving the World "
                "of Work!", "paragraphs": [], "points": []},
    {"heading": "Deepen your Learning", "paragraphs": [], "points": [
        "Take part in regular Q&A sessions, Learning Sessions and Facilitated Intervision "
        "Sessions",
        "Watch recordings of previous events",
        "Engage in regular assignments to improve your understanding and develop your "
        "expertise"]},
    {"heading": "Connect with Practitioners", "paragraphs": [
        "Share your experience and your questions, your stories and ideas, and contribute "
        "toward growing a thriving community of people, working together to positively impact "
        "the world."], "points": [
        "Participate in regular online Community Meet-ups",
        "Exchange with other members through the forum, dedicated topics and direct messaging",
        "Focus your interest by following specific topics and groups"]},
    {"heading": "Primary Driver for Creating this Community", "points": [], "paragraphs": [
        "The network of practitioners and people interested in learning about S3 is growing "
        "but most conversations for sharing learning and experience are siloed in local "
        "communities, scattered around the world (virtual and physical). We're missing the "
        "potential for worldwide exchange in an effective way.",
        "We need a sustainable system that enables practitioners from around the world to come "
        "together to share experiences and learning and stay up to date with S3 as it "
        "evolves."]},
    {"heading": "Choose the Plan that’s Right for You", "points": [], "paragraphs": [
        "Wherever you are on your journey with Sociocracy 3.0, the S3 Online Learning "
        "Community can help you on your way. We have 3 options available for you."]},
]

# slug -> the plan's name, the page's question, its pitch and what it brings.
PLANS: dict[str, dict[str, Any]] = {
    "lobby": {
        "name": "The Lobby",
        "question": "Are you just starting out with Sociocracy 3.0, feeling curious and wanting "
                    "to dip your toes in the water?",
        "description": "Join The Lobby, a place to connect and engage in conversations with "
                       "others and explore content about S3. There’s a private room for "
                       "member-only conversations and this is free of charge.",
        "benefits": []},
    "lounge": {
        "name": "Practitioner’s Lounge",
        "question": "Have you started experimenting with S3, experienced some successes and "
                    "bumped into challenges and failures along the way?",
        "description": "Join the Practitioner’s Lounge, a private group you can join for a "
                       "monthly or yearly subscription.",
        "benefits": [
            "You get to meet with us and other practitioners on a regular basis.",
            "We organize around monthly themes and host regular online sessions to exchange "
            "and learn together.",
            "All sessions are recorded and available to view afterward as well.",
            "We provide regular assignments and share additional content from time to time, "
            "such as interviews with practitioners about their experiences, analysis of cases "
            "and so on."]},
    "pro": {
        "name": "PRO Lounge",
        "question": "Want to pass on what you’re learning to others and improve your fluency "
                    "and skills?",
        "description": "Join our PRO Lounge, a professional development group, focused on "
                       "continuously developing and refining the understanding and skills "
                       "needed to help others get the best out of Sociocracy 3.0.",
        "benefits": [
            "You get access to all the activities in the Practitioner’s Lounge, plus:",
            "On-demand support and guidance from us and a close relationship with other "
            "committed professionals.",
            "Exchange on various approaches for introducing S3 into organizations, workshop "
            "formats and key learning we pick up on our journey as teachers and mentors of "
            "S3."]},
}

# slug -> (name, description); plan slug -> the groups it opens.
GROUPS = {
    "lobby-room": ("The Lobby’s member room", "The Lobby’s private room for member-only "
                                              "conversations."),
    "practitioners-lounge": ("Practitioner’s Lounge", "Monthly themes, Learning Sessions, Q&A "
                                                      "sessions, assignments and recordings."),
    "pro-lounge": ("PRO Lounge", "Supervision and Facilitated Intervision sessions for "
                                 "professionals."),
}
GRANTS = {"lobby": ["lobby-room"], "lounge": ["practitioners-lounge"],
          "pro": ["practitioners-lounge", "pro-lounge"]}

# DEMO VALUES: the seed names no prices. Round USD cents per (plan, interval).
DEMO_PRICES = {("lounge", "month"): 2_000, ("lounge", "year"): 20_000,
               ("pro", "month"): 5_000, ("pro", "year"): 50_000}

FAQ: list[dict[str, Any]] = [
    {"question": "Will content generated in the community be available to the public?",
     "answer": [
         "The content in the Lobby (included in the Basic Membership) is public. All activity "
         "in rooms and groups is private and confidential!",
         "To join a group or a room, you need to agree to our Terms and Conditions. These "
         "include our Member Guidelines and Terms of Confidentiality for Group Members. We'd "
         "like to ensure a confidential environment where you and others can talk in "
         "confidence about yourself, your organization and where appropriate, your clients. "
         "For this reason, content generated in specific groups or rooms, is only accessible "
         "to members of that group or room.",
         "In the interests of doing all we can to help people learn about S3, we repurpose "
         "some content into generic resources that can be shared with the wider world, so far "
         "as our time allows.",
         "We expressly ask members of the Practitioner and the PRO lounge to post any "
         "questions and articles that are not sensitive due to the fact they include or refer "
         "to confidential information that people have shared, in the Lobby. We do the same. "
         "This is so that important insights and conversations about S3 remain in the public "
         "domain."]},
    {"question": "Can I cancel my subscription?", "answer": [
        "You can cancel your subscription at any time by visiting our Customer Hub or by "
        "following the link in the email you received with the invoice for your payment.",
        "Enter the email address you used for the payment and you’ll receive a link by email "
        "that will lead you to a page with information about your current subscription. There "
        "you’ll see the option to cancel your subscription.",
        "When you cancel your subscription, you will be removed from the corresponding group "
        "in Mighty Network. Please be mindful that when you cancel the PRO subscription, "
        "you’ll be removed from both the Practitioner Lounge and the PRO Lounge. If you’d like "
        "to stay a member of the Practitioner Lounge, you’ll have to purchase the "
        "subscription."]},
    {"question": "I already attended a course (or several). What is the added value of these "
                 "plans for me?", "answer": [
        "A lot! Besides a wide array of opportunities to deepen your understanding through "
        "attending or listening to the regular events, you can also complete optional "
        "assignments, and exchange with other members about their experience and learning as "
        "well. The community platform provides an effective way for bringing together and "
        "synergizing distributed intelligence for the benefit of us all.",
        "Furthermore, the PRO Plan is our dedicated platform for supporting you in developing "
        "your teaching and mentoring skills."]},
    {"question": "What are the Community Meet-ups about?", "answer": [
        "These are sessions dedicated to community building and peer-to-peer learning and "
        "exchange. They include practical sessions, and utilize formats like Open Space, World "
        "Café, Wise Crowds and Troika Consulting to facilitate conversations and meet a "
        "diversity of learning needs. We meet once a month, online! Timings vary to increase "
        "the likelihood of you being able to attend some of the sessions."]},
    {"question": "What are the Learning Sessions about?", "answer": [
        "In the Practitioner’s Lounge, we facilitate one online Learning Session each month. "
        "The topics we cover relate with our monthly theme and we explore specific S3 "
        "patterns, sets of patterns and other S3 related topics. Sessions are recorded and "
        "available for members of the group to view afterward.",
        "Please be aware THIS IS NOT A TRAINING PROGRAM! The content we post and the events we "
        "run in this group are designed to compliment, not replace the knowledge, "
        "understanding and skills you will gain through studying the Practical Guide and "
        "other resources on the Sociocracy 3.0 website, applying S3 patterns in practice, and "
        "participating in courses and workshops we deliver."]},
    {"question": "What can I expect from the Q&A sessions?", "answer": [
        "These sessions are part of the Practitioner Plan and they are dedicated to answering "
        "questions you have. Members submit questions in advance and during the call, we "
        "invite attendees to share their own experiences and answer questions raised. We fill "
        "in any gaps with answers based on our understanding and experience with S3."]},
    {"question": "What can I expect from the Supervision and Facilitated Intervision sessions "
                 "in the PRO Lounge?", "answer": [
        "Building on our approach with the Q&A sessions in the Practitioner Lounge, you can "
        "think of these sessions as a combination of Q&A, professional supervision and "
        "facilitated intervision sessions where we examine and reflect on cases that PRO "
        "members bring."]},
    {"question": "Who is the PRO Plan for?", "answer": [
        "This plan is for anyone who is working professionally in some way, supporting others "
        "to learn about and use S3, and who is committed to giving as well as receiving in the "
        "community. You will ideally have already participated in some formal training around "
        "S3 but there are exceptions to every rule, so please let us know if you’ve not but "
        "believe it’s valuable that you join.",
        "As interest in S3 grows and more and more people take it upon themselves to help "
        "others learn, there is a growing need to ensure coherence in learning and that "
        "professionals are keeping up-to-date and learning from one another as they go. The "
        "PRO community is a key part of our strategy to respond to this driver."]},
    {"question": "What are the criteria for selection for the PRO Plan?", "answer": [
        "The PRO Plan is by application only. You will have ideally already participated in "
        "some formal training around S3 but there are exceptions to every rule, so please let "
        "us know if you have not but believe it’s valuable that you join. You will also have "
        "experience using S3 patterns and be working with others (or intending to) to help "
        "them learn about and apply S3."]},
]

TERMS_TITLE = "Member Guidelines and Terms of Confidentiality"
TERMS_BODY = "\n\n".join([
    "DEMO TEXT, written for this demo: the community's real Member Guidelines and Terms of "
    "Confidentiality are not part of the page this demo reproduces. Staff replace it by "
    "publishing a new version.",
    "1. What is public. The content in the Lobby is public. Everything shared in a room or a "
    "group (the Lobby's member room, the Practitioner's Lounge, the PRO Lounge) is private and "
    "confidential: it is only for the members of that room or group.",
    "2. Confidentiality. You may talk in confidence about yourself, your organization and, "
    "where appropriate, your clients. Do not repeat, copy, record or pass on outside the group "
    "anything another member shared there, nor anything that identifies them, their "
    "organization or their clients, without their permission.",
    "3. Sharing what is not sensitive. Questions and articles that do not include or refer to "
    "confidential information are best posted in the Lobby, so that insights about S3 remain "
    "in the public domain. We do the same.",
    "4. Generic resources. So far as our time allows, we may turn what we learn together into "
    "generic resources shared with the wider world. They never include confidential "
    "information or anything that identifies a member, their organization or their clients.",
    "5. How we meet. Give as well as receive; be respectful, curious and kind; assume good "
    "intent; keep to the topic of a thread; and tell us if something shared makes you "
    "uncomfortable.",
    "6. Leaving. When a membership ends you are removed from its groups; what you agreed to "
    "keep confidential stays confidential.",
])
