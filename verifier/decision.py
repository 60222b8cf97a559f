"""A desk's answer is the kernel's ``Decision`` (``civicid.eligibility.decision``): eligible or
not, with every check's outcome, the same record whoever ran the checks. Named here too."""

from civicid.eligibility.decision import DEFAULT_PLAIN as DEFAULT_PLAIN
from civicid.eligibility.decision import FAILED as FAILED
from civicid.eligibility.decision import PASSED as PASSED
from civicid.eligibility.decision import PLAIN as PLAIN
from civicid.eligibility.decision import SKIPPED as SKIPPED
from civicid.eligibility.decision import Decision as Decision
from civicid.eligibility.decision import Outcome as Outcome
from civicid.eligibility.decision import plain as plain
