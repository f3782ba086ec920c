"""Every error the engine raises on purpose; the edges (CLI, web) turn them into messages."""
from __future__ import annotations


class DubanError(Exception):
    """Base of all engine errors."""


class InvalidInput(DubanError, ValueError):
    """A value from outside (file, form, API) is malformed or impossible."""


class UnknownUnit(InvalidInput, LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"unknown handling unit {code!r}")
        self.code = code


class UnknownWorkOrder(InvalidInput, LookupError):
    def __init__(self, number: str) -> None:
        super().__init__(f"unknown work order {number!r}")
        self.number = number


class DuplicateWorkOrder(InvalidInput):
    def __init__(self, number: str) -> None:
        super().__init__(f"work order {number!r} already exists")
        self.number = number


class InvalidTransition(InvalidInput):
    """An event that cannot happen in the order's current state (reply before dispatch, second close…)."""


class RuleError(DubanError):
    """The rule table or the calendar configuration is wrong."""


class ProcessDefinitionError(DubanError):
    """A BPMN file is malformed, unsafe or does not fit Duban's operations."""


class StoreUnavailable(DubanError):
    """The database refused for a passing reason (lock, deadlock, lost connection): retry later."""


class InvalidPhone(InvalidInput):
    def __init__(self, unit: str, phone: object, reason: str = "not a mobile number in E.164 form like +8613800138000") -> None:
        super().__init__(f"unit {unit}: phone {phone!r} rejected: {reason}")
        self.unit = unit
        self.phone = phone
        self.reason = reason


class RuleExecutionError(DubanError):
    """A BPMN step failed while running (a condition raised, an operation failed)."""


class AlreadyScheduled(DubanError):
    """Another worker scheduled the same quarterly report at the same moment."""
