"""Enumerations of the system karte. Labels are English msgids shown in Japanese through gettext;
`SHEET_NAMES` gives the Japanese words sheets use, whatever language the screen is in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemStatus(models.TextChoices):
    ACTIVE = "active", _("In operation")
    RENEWING = "renewing", _("Being renewed")
    RETIRED = "retired", _("Retired")


class Hosting(models.TextChoices):
    COMMON_PLATFORM = "common_platform", _("Common platform")
    DATA_CENTRE = "data_centre", _("Data centre")
    ANNEX_ROOM = "annex_room", _("Annex computer room")
    CLOUD = "cloud", _("Cloud")
    GOVERNMENT_CLOUD = "government_cloud", _("Government cloud")
    IN_SECTION = "in_section", _("Within the section")


class NetworkTier(models.TextChoices):
    INTERNET = "internet", _("Internet-connected tier")
    LGWAN = "lgwan", _("LGWAN-connected tier")
    MY_NUMBER = "my_number", _("Individual-number tier")


class ContractKind(models.TextChoices):
    DEVELOPMENT = "development", _("Development")
    MAINTENANCE = "maintenance", _("Operation and maintenance")
    LEASE = "lease", _("Lease")
    LICENCE = "licence", _("Licence")
    CLOUD = "cloud", _("Cloud service")


class ProcurementMethod(models.TextChoices):
    OPEN_TENDER = "open_tender", _("Open tender")
    DESIGNATED_TENDER = "designated_tender", _("Designated tender")
    SOLE_SOURCE = "sole_source", _("Sole-source contract")
    PROPOSAL = "proposal", _("Proposal competition")


class Optimisation(models.TextChoices):
    HARDWARE = "hardware", _("Consolidate hardware")
    SOFTWARE = "software", _("Review software")
    OPERATIONS = "operations", _("Unify operations")


class StandardBusiness(models.TextChoices):
    """The 20 local-government businesses whose systems are being standardised nationally."""

    RESIDENT_REGISTRY = "resident_registry", _("Basic resident registry")
    ELECTORAL_ROLL = "electoral_roll", _("Electoral roll")
    FIXED_ASSET_TAX = "fixed_asset_tax", _("Fixed asset tax")
    INDIVIDUAL_RESIDENT_TAX = "individual_resident_tax", _("Individual resident tax")
    CORPORATE_RESIDENT_TAX = "corporate_resident_tax", _("Corporate resident tax")
    LIGHT_VEHICLE_TAX = "light_vehicle_tax", _("Light vehicle tax")
    NATIONAL_HEALTH_INSURANCE = "national_health_insurance", _("National health insurance")
    NATIONAL_PENSION = "national_pension", _("National pension")
    DISABILITY_WELFARE = "disability_welfare", _("Disability welfare")
    LATE_STAGE_ELDERLY_CARE = "late_stage_elderly_care", _("Late-stage elderly medical care")
    LONG_TERM_CARE = "long_term_care", _("Long-term care insurance")
    CHILD_ALLOWANCE = "child_allowance", _("Child allowance")
    PUBLIC_ASSISTANCE = "public_assistance", _("Public assistance")
    HEALTH_MANAGEMENT = "health_management", _("Health management")
    SCHOOL_ENROLMENT = "school_enrolment", _("School enrolment")
    CHILD_REARING_ALLOWANCE = "child_rearing_allowance", _("Child-rearing allowance")
    CHILD_CARE_SUPPORT = "child_care_support", _("Child and child-care support")
    FAMILY_REGISTER = "family_register", _("Family register")
    FAMILY_REGISTER_ANNEX = "family_register_annex", _("Family register annex")
    SEAL_REGISTRATION = "seal_registration", _("Seal registration")
    # Sheets often mark a target with ○ without naming the business.
    UNSPECIFIED = "unspecified", _("Target (business not given)")


SHEET_NAMES: dict[type[models.TextChoices], dict[str, str]] = {
    SystemStatus: {"active": "稼働中", "renewing": "更新作業中", "retired": "廃止"},
    Hosting: {
        "common_platform": "共通プラットフォーム",
        "data_centre": "データセンター",
        "annex_room": "別館コンピュータ室",
        "cloud": "クラウド",
        "government_cloud": "ガバメントクラウド",
        "in_section": "所属内",
    },
    NetworkTier: {
        "internet": "インターネット接続系",
        "lgwan": "LGWAN接続系",
        "my_number": "個人番号利用事務系",
    },
    ContractKind: {
        "development": "開発",
        "maintenance": "運用保守",
        "lease": "賃貸借",
        "licence": "ライセンス",
        "cloud": "クラウド利用",
    },
    ProcurementMethod: {
        "open_tender": "一般競争入札",
        "designated_tender": "指名競争入札",
        "sole_source": "随意契約",
        "proposal": "プロポーザル",
    },
    Optimisation: {
        "hardware": "ハードウェア集約",
        "software": "ソフトウェア見直し",
        "operations": "運用一元化",
    },
    StandardBusiness: {
        "resident_registry": "住民基本台帳",
        "electoral_roll": "選挙人名簿管理",
        "fixed_asset_tax": "固定資産税",
        "individual_resident_tax": "個人住民税",
        "corporate_resident_tax": "法人住民税",
        "light_vehicle_tax": "軽自動車税",
        "national_health_insurance": "国民健康保険",
        "national_pension": "国民年金",
        "disability_welfare": "障害者福祉",
        "late_stage_elderly_care": "後期高齢者医療",
        "long_term_care": "介護保険",
        "child_allowance": "児童手当",
        "public_assistance": "生活保護",
        "health_management": "健康管理",
        "school_enrolment": "就学",
        "child_rearing_allowance": "児童扶養手当",
        "child_care_support": "子ども・子育て支援",
        "family_register": "戸籍",
        "family_register_annex": "戸籍附票",
        "seal_registration": "印鑑登録",
        "unspecified": "対象（業務未記入）",
    },
}


def sheet_choices(enum: type[models.TextChoices]) -> list[tuple[str, str]]:
    """Return (value, Japanese sheet word) pairs, for importers' to_choice and for exports."""
    return list(SHEET_NAMES[enum].items())
