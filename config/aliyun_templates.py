"""The Alibaba Cloud side of the SMS templates ([aliyun] in config/sms_templates.toml): the approved signature and,
for each Duban template, the approved template code and its variables. Checked at start-up and by
`duban check-config`: a template the rules send without an approved code, a variable list that differs from the
template's placeholders, a sign that differs from the approved signature, or a link wider than the approved link
variable allows each stop the start-up, naming the template."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.domain.errors import RuleError
from engine.sms.templates import PLACEHOLDER_WIDTHS, SmsTemplates

TEMPLATE_CODE = re.compile(r"^SMS_\d{4,20}$")
DEFAULT_VARIABLE_LIMIT = 35  # characters per variable of a notification template (Aliyun's rule since 2018)


@dataclass(frozen=True)
class ApprovedTemplate:
    code: str
    variables: tuple[str, ...]


@dataclass(frozen=True)
class AliyunTemplates:
    sign_name: str  # the approved signature, without 【】
    variable_limit: int
    link_limit: int  # the approved link variable's limit
    approved: Mapping[str, ApprovedTemplate]

    def limits(self) -> dict[str, int]:
        """Per-placeholder widths the provider accepts (values are cut to them before sending)."""
        return {**{name: self.variable_limit for name in PLACEHOLDER_WIDTHS}, "link": self.link_limit}

    def code_of(self, key: str) -> str | None:
        approved = self.approved.get(key)
        return approved.code if approved else None


def load_aliyun_templates(path: Path) -> AliyunTemplates | None:
    from config.loader import _read

    return read_aliyun_templates(_read(path), path)


def read_aliyun_templates(raw: Mapping[str, Any], where: Path | str) -> AliyunTemplates | None:
    """The [aliyun] table as written (None when there is none); shapes checked, not yet against the templates."""
    section = raw.get("aliyun")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise RuleError(f"{where}: [aliyun] must be a table")
    sign_name = section.get("sign_name")
    if not isinstance(sign_name, str) or not sign_name.strip() or "【" in sign_name or "】" in sign_name:
        raise RuleError(f"{where}: aliyun.sign_name must be the approved signature without 【】, e.g. \"揭阳12345\"")
    variable_limit = _limit(section.get("variable_limit", DEFAULT_VARIABLE_LIMIT), f"{where}: aliyun.variable_limit")
    link_limit = _limit(section.get("link_variable_limit", variable_limit), f"{where}: aliyun.link_variable_limit")
    table = section.get("templates", {})
    if not isinstance(table, dict):
        raise RuleError(f"{where}: [aliyun.templates] must map each template to {{ code, variables }}")
    approved = {}
    for key, entry in table.items():
        if not isinstance(entry, dict) or set(entry) - {"code", "variables"}:
            raise RuleError(f"{where}: aliyun.templates.{key} must be {{ code = \"SMS_…\", variables = [\"order\", …] }}")
        code, variables = entry.get("code"), entry.get("variables", [])
        if not isinstance(code, str) or not TEMPLATE_CODE.match(code):
            raise RuleError(f"{where}: aliyun.templates.{key}: code must be the approved template code like "
                            f"SMS_123456789, got {code!r}")
        if not isinstance(variables, list) or not all(isinstance(v, str) and v for v in variables):
            raise RuleError(f"{where}: aliyun.templates.{key}: variables must be a list of variable names")
        approved[key] = ApprovedTemplate(code, tuple(variables))
    return AliyunTemplates(sign_name.strip(), variable_limit, link_limit, approved)


def check_against(aliyun: AliyunTemplates | None, templates: SmsTemplates, required: Iterable[str],
                  where: Path | str) -> AliyunTemplates:
    """Refuse what Aliyun would refuse or render differently from the text Duban keeps as the message's proof."""
    if aliyun is None:
        raise RuleError(f"{where}: DUBAN_SMS_PROVIDER=aliyun needs an [aliyun] table with the approved signature and "
                        f"template codes (see the README, 'SMS through Alibaba Cloud')")
    if templates.sign != f"【{aliyun.sign_name}】":
        raise RuleError(f"{where}: sign {templates.sign} differs from the approved signature "
                        f"aliyun.sign_name = {aliyun.sign_name!r}; the handset would show another text")
    missing = sorted(set(required) - set(aliyun.approved))
    if missing:
        raise RuleError(f"{where}: no approved Aliyun template code for {', '.join(missing)} "
                        f"(add aliyun.templates.{missing[0]} = {{ code = \"SMS_…\", variables = [...] }})")
    for key, approved in aliyun.approved.items():
        if key not in templates.texts:
            raise RuleError(f"{where}: aliyun.templates.{key}: no such template in [templates]")
        ours = templates.placeholders_of(key)
        if set(approved.variables) != ours or len(set(approved.variables)) != len(approved.variables):
            raise RuleError(f"{where}: aliyun.templates.{key} ({approved.code}): the approved variables "
                            f"{sorted(set(approved.variables))} must be exactly the template's placeholders "
                            f"{sorted(ours)}")
        if "link" in ours and templates.widths["link"] > aliyun.link_limit:
            raise RuleError(f"{where}: aliyun.templates.{key} ({approved.code}): links are up to "
                            f"{templates.widths['link']} characters but the approved link variable takes "
                            f"{aliyun.link_limit} (aliyun.link_variable_limit); approve a longer link variable, "
                            f"or drop {{link}} and let units reply 签收 <工单号>")
    return aliyun


def _limit(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 500:
        raise RuleError(f"{where}: expected a whole number of characters from 1 to 500, got {value!r}")
    return value
