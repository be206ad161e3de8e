"""The simulation's literal tables: the 30 real franchises, the name pools players are drawn
from, and the injury report's reason texts.

Only data lives here, so the modules that model the league read as logic; the ids and
spellings are the real ones each source uses (see ``rosters.TeamInfo``).
"""

from __future__ import annotations

__all__ = ["DIVISIONS", "FIRST_NAMES", "INJURY_REASONS", "LAST_NAMES", "QUESTIONABLE_REASONS", "SUFFIXES", "TEAM_ROWS"]

# (code, full name, NBA.com city, nickname, conference, NBA.com team id, ESPN team id, arena time zone)
TEAM_ROWS = (
    ("ATL", "Atlanta Hawks", "Atlanta", "Hawks", "East", 1610612737, 1, "E"),
    ("BOS", "Boston Celtics", "Boston", "Celtics", "East", 1610612738, 2, "E"),
    ("BKN", "Brooklyn Nets", "Brooklyn", "Nets", "East", 1610612751, 17, "E"),
    ("CHA", "Charlotte Hornets", "Charlotte", "Hornets", "East", 1610612766, 30, "E"),
    ("CHI", "Chicago Bulls", "Chicago", "Bulls", "East", 1610612741, 4, "C"),
    ("CLE", "Cleveland Cavaliers", "Cleveland", "Cavaliers", "East", 1610612739, 5, "E"),
    ("DAL", "Dallas Mavericks", "Dallas", "Mavericks", "West", 1610612742, 6, "C"),
    ("DEN", "Denver Nuggets", "Denver", "Nuggets", "West", 1610612743, 7, "M"),
    ("DET", "Detroit Pistons", "Detroit", "Pistons", "East", 1610612765, 8, "E"),
    ("GSW", "Golden State Warriors", "Golden State", "Warriors", "West", 1610612744, 9, "P"),
    ("HOU", "Houston Rockets", "Houston", "Rockets", "West", 1610612745, 10, "C"),
    ("IND", "Indiana Pacers", "Indiana", "Pacers", "East", 1610612754, 11, "E"),
    ("LAC", "Los Angeles Clippers", "LA", "Clippers", "West", 1610612746, 12, "P"),
    ("LAL", "Los Angeles Lakers", "Los Angeles", "Lakers", "West", 1610612747, 13, "P"),
    ("MEM", "Memphis Grizzlies", "Memphis", "Grizzlies", "West", 1610612763, 29, "C"),
    ("MIA", "Miami Heat", "Miami", "Heat", "East", 1610612748, 14, "E"),
    ("MIL", "Milwaukee Bucks", "Milwaukee", "Bucks", "East", 1610612749, 15, "C"),
    ("MIN", "Minnesota Timberwolves", "Minnesota", "Timberwolves", "West", 1610612750, 16, "C"),
    ("NOP", "New Orleans Pelicans", "New Orleans", "Pelicans", "West", 1610612740, 3, "C"),
    ("NYK", "New York Knicks", "New York", "Knicks", "East", 1610612752, 18, "E"),
    ("OKC", "Oklahoma City Thunder", "Oklahoma City", "Thunder", "West", 1610612760, 25, "C"),
    ("ORL", "Orlando Magic", "Orlando", "Magic", "East", 1610612753, 19, "E"),
    ("PHI", "Philadelphia 76ers", "Philadelphia", "76ers", "East", 1610612755, 20, "E"),
    ("PHX", "Phoenix Suns", "Phoenix", "Suns", "West", 1610612756, 21, "M"),
    ("POR", "Portland Trail Blazers", "Portland", "Trail Blazers", "West", 1610612757, 22, "P"),
    ("SAC", "Sacramento Kings", "Sacramento", "Kings", "West", 1610612758, 23, "P"),
    ("SAS", "San Antonio Spurs", "San Antonio", "Spurs", "West", 1610612759, 24, "C"),
    ("TOR", "Toronto Raptors", "Toronto", "Raptors", "East", 1610612761, 28, "E"),
    ("UTA", "Utah Jazz", "Utah", "Jazz", "West", 1610612762, 26, "M"),
    ("WAS", "Washington Wizards", "Washington", "Wizards", "East", 1610612764, 27, "E"),
)

#: The NBA's six divisions (balldontlie's team objects carry them).
DIVISIONS = {
    **dict.fromkeys(("BOS", "BKN", "NYK", "PHI", "TOR"), "Atlantic"),
    **dict.fromkeys(("CHI", "CLE", "DET", "IND", "MIL"), "Central"),
    **dict.fromkeys(("ATL", "CHA", "MIA", "ORL", "WAS"), "Southeast"),
    **dict.fromkeys(("DEN", "MIN", "OKC", "POR", "UTA"), "Northwest"),
    **dict.fromkeys(("GSW", "LAC", "LAL", "PHX", "SAC"), "Pacific"),
    **dict.fromkeys(("DAL", "HOU", "MEM", "NOP", "SAS"), "Southwest"),
}

# Name pools for generated players; a few get a suffix.
FIRST_NAMES = (
    "Jalen", "Marcus", "Tyrese", "Darius", "Isaiah", "Devin", "Andre", "Malik", "Jordan", "Cameron",
    "Trey", "Keegan", "Aaron", "Brandon", "Cole", "Dante", "Elijah", "Felix", "Gabriel", "Hakeem",
    "Ivan", "Jamal", "Kendall", "Lamar", "Miles", "Nico", "Omar", "Quentin", "Rashad", "Silas",
    "Terrence", "Victor", "Wendell", "Xavier", "Amari", "Bryce", "Caleb", "Desmond", "Emeka", "Javon",
    "De'Andre", "Ja'Marcus", "Kai", "Luca", "Mateo", "Obi", "Reggie", "Stefan", "Tariq", "Zaire",
)  # fmt: skip
LAST_NAMES = (
    "Morrow", "Ashby", "Baxley", "Calloway", "Dorsett", "Eversley", "Fenwick", "Galloway", "Hartsell",
    "Jessup", "Kimbrough", "Lockhart", "Merriweather", "Northcutt", "Oakes", "Pennington", "Quarles",
    "Redmond", "Stroud", "Tillman", "Underwood", "Vance", "Whitfield", "Yarbrough", "Ainsworth",
    "Blackwood", "Easley", "Fairchild", "Gaines", "Hollis", "Kearse", "Lyle", "Mabry", "Nesbitt",
    "Ogden", "Pruitt", "Rainey", "Sutter", "Tolliver", "Yates", "Abernathy", "Boatwright", "Colquitt",
    "Dunmore", "Ellery", "Greer", "Hightower", "O'Dell", "St. Cyr", "Reed-Holloway", "Van Buren",
    "McAllister", "DuPree", "Okonkwo", "Sandoval", "Petrovic", "Lindqvist", "Achebe", "Moreau", "Castillo",
)  # fmt: skip
SUFFIXES = ("Jr.", "II", "III")

# Injury report reasons by kind of absence, and for one-day questionable listings.
INJURY_REASONS = {
    "day_to_day": (
        "Injury/Illness - Illness",
        "Injury/Illness - Right Knee; Soreness",
        "Injury/Illness - Lower Back; Tightness",
        "Rest",
        "Personal Reasons",
    ),
    "moderate": (
        "Injury/Illness - Left Ankle; Sprain",
        "Injury/Illness - Right Hamstring; Strain",
        "Injury/Illness - Left Calf; Strain",
        "Injury/Illness - Concussion Protocol",
    ),
    "long": (
        "Injury/Illness - Right Hand; Fracture",
        "Injury/Illness - Left Knee; Meniscus Tear",
        "Injury/Illness - Right Foot; Stress Reaction",
    ),
}
QUESTIONABLE_REASONS = (
    "Injury/Illness - Left Ankle; Soreness",
    "Injury/Illness - Right Wrist; Sprain",
    "Injury/Illness - Illness",
    "Injury/Illness - Left Hip; Contusion",
)
