"""The checks of one presentation are the kernel's (``civicid.eligibility.checks``): an agency
issuing by rule runs the very same steps. Named here too, where the desk's modules meet them."""

from civicid.eligibility.checks import _VALIDATORS as _VALIDATORS
from civicid.eligibility.checks import CLOCK_SKEW as CLOCK_SKEW
from civicid.eligibility.checks import KB_MAX_AGE as KB_MAX_AGE
from civicid.eligibility.checks import MAX_NESTING as MAX_NESTING
from civicid.eligibility.checks import MAX_PRESENTATION_CHARS as MAX_PRESENTATION_CHARS
from civicid.eligibility.checks import RUNNERS as RUNNERS
from civicid.eligibility.checks import STEPS as STEPS
from civicid.eligibility.checks import ReplayGuard as ReplayGuard
from civicid.eligibility.checks import Run as Run
from civicid.eligibility.checks import Step as Step
from civicid.eligibility.checks import asked_and_extra as asked_and_extra
from civicid.eligibility.checks import check_presentation as check_presentation
from civicid.eligibility.checks import schema_validator as schema_validator
