"""The desk's one way of writing dates and times (Django reads this through FORMAT_MODULE_PATH, so a
bare `{{ value }}`, `|date` and the desk filters agree). ISO dates, because records cross borders
and 03/04 means two different days; times in the site's zone with the zone written after them."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
