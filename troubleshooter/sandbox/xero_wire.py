"""Scenario objects in Xero's wire format (field names, enums and `/Date(…)/` timestamps as
Xero's OpenAPI spec and examples give them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from troubleshooter.infra.msdate import to_ms_date
from troubleshooter.sandbox.scenario import (
    Account,
    Contact,
    Scenario,
    TaxRate,
    TrackingCategory,
    TrackingOption,
    stable_id,
)
from troubleshooter.sandbox.timeline import (
    account_id,
    category_id,
    contact_id,
    option_id,
)

_ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "DEPRECIATN": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
}


def _updated(scenario: Scenario, obj: Any) -> str:
    moment: datetime = obj.updated or obj.created or scenario.clock - timedelta(days=400)
    return to_ms_date(moment, with_offset=True)


def envelope(
    scenario: Scenario, key: str, rows: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "Id": stable_id("response", key, scenario.clock.isoformat()),
        "Status": "OK",
        "ProviderName": "troubleshooter sandbox",
        "DateTimeUTC": to_ms_date(scenario.clock),
        **extra,
        key: rows,
    }


def account(scenario: Scenario, acc: Account) -> dict[str, Any]:
    row: dict[str, Any] = {
        "AccountID": account_id(scenario, acc),
        "Name": acc.name,
        "Status": acc.status,
        "Type": acc.type,
        "TaxType": acc.tax_type or "NONE",
        "Class": _ACCOUNT_CLASS[acc.type],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": acc.type in ("EXPENSE", "OVERHEADS", "DIRECTCOSTS"),
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "UpdatedDateUTC": _updated(scenario, acc),
        "AddToWatchlist": False,
    }
    if acc.code is not None:
        row["Code"] = acc.code
    if acc.description:
        row["Description"] = acc.description
    if acc.type == "BANK":
        row["BankAccountType"] = acc.bank_account_type or "BANK"
        row["CurrencyCode"] = acc.currency_code or scenario.organisation.base_currency
        if acc.bank_account_number:
            row["BankAccountNumber"] = acc.bank_account_number
    return row


def tracking_option(
    scenario: Scenario, category: TrackingCategory, option: TrackingOption
) -> dict[str, Any]:
    return {
        "TrackingOptionID": option_id(scenario, category, option),
        "Name": option.name,
        "Status": option.status,
        "HasValidationErrors": False,
        "IsDeleted": option.status == "DELETED",
        "IsArchived": option.status == "ARCHIVED",
        "IsActive": option.status == "ACTIVE",
    }


def tracking_category(
    scenario: Scenario, category: TrackingCategory, include_archived: bool
) -> dict[str, Any]:
    shown = ("ACTIVE", "ARCHIVED") if include_archived else ("ACTIVE",)
    return {
        "Name": category.name,
        "Status": category.status,
        "TrackingCategoryID": category_id(scenario, category),
        "Options": [
            tracking_option(scenario, category, option)
            for option in category.options
            if option.status in shown
        ],
    }


def contact(scenario: Scenario, person: Contact, summary_only: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ContactID": contact_id(scenario, person),
        "ContactStatus": person.status,
        "Name": person.name,
        "UpdatedDateUTC": _updated(scenario, person),
        "IsSupplier": person.is_supplier,
        "IsCustomer": person.is_customer,
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    for field, value in (
        ("FirstName", person.first_name),
        ("LastName", person.last_name),
        ("EmailAddress", person.email),
        ("AccountNumber", person.account_number),
        ("ContactNumber", person.contact_number),
    ):
        if value:
            row[field] = value
    if not summary_only:
        row["Addresses"] = [{"AddressType": "POBOX"}, {"AddressType": "STREET"}]
        row["Phones"] = [
            {
                "PhoneType": kind,
                "PhoneNumber": person.phone if kind == "DEFAULT" and person.phone else "",
            }
            for kind in ("DDI", "DEFAULT", "FAX", "MOBILE")
        ]
        row["ContactGroups"] = []
        row["ContactPersons"] = []
        row["BankAccountDetails"] = ""
        row["DefaultCurrency"] = scenario.organisation.base_currency
    return row


def tax_rate(rate: TaxRate, scenario: Scenario) -> dict[str, Any]:
    return {
        "Name": rate.name,
        "TaxType": rate.tax_type,
        "ReportTaxType": rate.report_tax_type
        or ("OUTPUT" if rate.tax_type.startswith("OUTPUT") else "INPUT"),
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": not rate.tax_type.startswith("OUTPUT"),
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": not rate.tax_type.startswith("INPUT"),
        "DisplayTaxRate": rate.rate,
        "EffectiveRate": rate.rate,
        "Status": rate.status,
        "TaxComponents": [
            {"Name": "GST", "Rate": rate.rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
    }


def organisation(scenario: Scenario) -> dict[str, Any]:
    org = scenario.organisation
    return {
        "OrganisationID": scenario.organisation_id,
        "APIKey": "",
        "Name": org.name,
        "LegalName": org.legal_name or org.name,
        "PaysTax": True,
        "Version": org.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "Timezone": org.timezone,
        "ShortCode": org.short_code or "!" + scenario.organisation_id[:5],
        "Edition": "BUSINESS",
        "Class": "PREMIUM",
        "CreatedDateUTC": to_ms_date(scenario.clock - timedelta(days=1000)),
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }


def connection(scenario: Scenario) -> dict[str, Any]:
    created = (
        (scenario.clock - timedelta(days=30))
        .replace(tzinfo=None)
        .isoformat(timespec="microseconds")
    )
    return {
        "id": stable_id("connection", scenario.organisation.name),
        "authEventId": stable_id("auth-event", scenario.organisation.name),
        "tenantId": scenario.tenant_id,
        "tenantType": "ORGANISATION",
        "tenantName": scenario.organisation.name,
        "createdDateUtc": created + "0",
        "updatedDateUtc": created + "0",
    }
