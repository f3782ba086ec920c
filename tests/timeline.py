"""One routine 咨询 order dispatched Monday 2026-06-01 10:00 and the moments the default rules give it
(deadline Wed 06-03 23:59:59), worked out by hand; shared by the runtime and exactly-once tests."""
from tests.conftest import local

DISPATCH = local(2026, 6, 1, 10, 0)
DUE_SOON = local(2026, 6, 2, 9, 0)  # last WD before the deadline's date
SIGN_OVERDUE = local(2026, 6, 3, 9, 0)  # the WD after the 1-WD sign-for window (06-02)
OVERDUE = local(2026, 6, 4, 9, 0)  # 1st WD after 06-03
YELLOW = local(2026, 6, 8, 9, 0)  # 3rd WD
RED = local(2026, 6, 10, 9, 0)  # 5th WD
LETTER = local(2026, 6, 17, 9, 0)  # 10th WD
