"""template.yml and samconfig.toml: lint-clean for every feature, and right.

Two kinds of checks:

* ``sam validate --lint`` and ``cfn-lint`` on the template as written and on
  copies whose parameter defaults switch each optional feature on (marked
  ``sam``; skipped only when the SAM CLI is not installed);
* what CloudFormation would create for those parameter values: which
  resources exist, the environment the function gets, the Rules that refuse
  impossible combinations, the output URLs (no AWS tools needed).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _sam import (
    FRONTEND,
    REPO,
    SAM_MISSING,
    TEMPLATE,
    Deployment,
    cfn_lint_executable,
    load_template,
    run,
    sam_executable,
    with_defaults,
)

DOMAIN = {
    "DomainName": "dash.example.com",
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
}
ZONE = {"HostedZoneId": "Z0000000000EXAMPLE"}
DATA = {"DataBucketName": "example-dash-data", "DataObjectKey": "exports/population.csv"}
CDN = {"StaticFiles": "Cdn"}
CDN_DOMAIN = {
    **CDN,
    "CdnDomainName": "dash.example.com",
    "CdnCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
}

#: name → parameter values; each switches optional features on.
VARIANTS: dict[str, dict[str, str]] = {
    "defaults": {},
    "stage-name": {"StageName": "v1"},
    "http-api": {"FrontDoor": "HttpApi"},
    "function-url": {"FrontDoor": "FunctionUrl"},
    "rest-domain": {**DOMAIN, **ZONE},
    "rest-domain-no-dns": DOMAIN,
    "rest-domain-base-path": {**DOMAIN, **ZONE, "BasePath": "dash"},
    "http-domain": {"FrontDoor": "HttpApi", **DOMAIN, **ZONE},
    "data-bucket": DATA,
    "keep-warm": {"KeepWarmSchedule": "rate(5 minutes)"},
    "snapstart": {"EnableSnapStart": "true"},
    "basic-auth": {"BasicAuthCredentials": "admin:correct-horse"},
    "sizes": {"MemorySize": "2048", "Timeout": "29"},
    "everything-rest": {
        **DOMAIN,
        **ZONE,
        **DATA,
        "BasePath": "dash",
        "KeepWarmSchedule": "cron(0/5 * * * ? *)",
        "EnableSnapStart": "true",
        "BasicAuthCredentials": "admin:correct-horse",
    },
    "everything-function-url": {
        **DATA,
        "FrontDoor": "FunctionUrl",
        "KeepWarmSchedule": "rate(5 minutes)",
        "EnableSnapStart": "true",
        "BasicAuthCredentials": "admin:correct-horse",
    },
    "background-callbacks": {"BackgroundCallbacks": "true", "Timeout": "900"},
    "background-callbacks-everything": {
        **DATA,
        "BackgroundCallbacks": "true",
        "FrontDoor": "HttpApi",
        "EnableSnapStart": "true",
        "KeepWarmSchedule": "rate(5 minutes)",
    },
    "cdn": CDN,
    "cdn-stage-name": {**CDN, "StageName": "v1"},
    "cdn-http-api": {**CDN, "FrontDoor": "HttpApi"},
    "cdn-function-url": {**CDN, "FrontDoor": "FunctionUrl"},
    "cdn-domain": CDN_DOMAIN,
    "cdn-domain-dns": {**CDN_DOMAIN, **ZONE},
    "everything-cdn": {
        **CDN_DOMAIN,
        **ZONE,
        **DATA,
        "FrontDoor": "FunctionUrl",
        "KeepWarmSchedule": "rate(5 minutes)",
        "EnableSnapStart": "true",
    },
}

FRONT_DOOR_RESOURCES = {
    "RestApi": {"RestApi", "RestApiInvokePermission"},
    "HttpApi": {"HttpApi", "HttpApiInvokePermission"},
    "FunctionUrl": {"DashFunctionUrl", "FunctionUrlPublicAccess", "FunctionUrlInvokeAccess"},
}
OPTIONAL_RESOURCES = {
    "RestDomain",
    "RestBasePathMapping",
    "HttpDomain",
    "HttpApiMapping",
    "DnsRecord",
    "CdnDnsRecord",
    "CdnDnsRecordIpv6",
    "KeepWarmRule",
    "KeepWarmPermission",
}
CDN_RESOURCES = {
    "StaticFilesBucket",
    "StaticFilesBucketPolicy",
    "StaticFilesOriginAccessControl",
    "CdnDistribution",
    "StaticFilesUploader",
    "StaticFilesUploaderLogGroup",
    "StaticFilesUpload",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def deploy(values: dict[str, str]) -> Deployment:
    return Deployment(load_template(), values)


def function(values: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = deploy(values).resources["DashFunction"]
    return props


# ------------------------------------------------------------------ linting


@pytest.fixture(scope="module")
def lint_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, list[str]]]:
    """Per variant: ``sam validate --lint`` on a JSON copy, and cfn-lint's findings for it.

    sam runs once per copy (in parallel); cfn-lint once over all copies.
    """
    if not sam_executable():
        pytest.skip(SAM_MISSING)
    cfn_lint = cfn_lint_executable()
    assert cfn_lint, "cfn-lint missing next to sam"
    folder = tmp_path_factory.mktemp("variants")
    cases = dict(VARIANTS)
    cases["_bad-default"] = {"MemorySize": "40000"}  # proves the values reach the linters
    paths = {}
    for name, values in cases.items():
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(with_defaults(load_template(), values), indent=1))

    def sam_validate(name: str) -> Any:
        return run(["sam", "validate", "--lint", "--template-file", str(paths[name])])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        sam_results = dict(zip(cases, pool.map(sam_validate, cases), strict=True))
    lint = run([cfn_lint, "--format", "parseable", *map(str, paths.values())])
    assert lint.returncode in (0, 2, 4, 6, 8, 10, 12, 14), lint.stderr  # bit flags: error/warning/info
    findings = lint.stdout.splitlines()
    return {
        name: (sam_results[name], [f for f in findings if f.startswith(f"{paths[name]}:")]) for name in cases
    }


@pytest.mark.sam
def test_sam_validate_lint_on_template_as_written() -> None:
    if not sam_executable():
        pytest.skip(SAM_MISSING)
    result = run(["sam", "validate", "--lint", "--template-file", str(TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.mark.sam
def test_cfn_lint_on_template_as_written() -> None:
    cfn_lint = cfn_lint_executable()
    if not cfn_lint:
        pytest.skip(SAM_MISSING)
    result = run([cfn_lint, str(TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.sam
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_lint_clean_with_feature_switched_on(
    variant: str, lint_results: dict[str, tuple[Any, list[str]]]
) -> None:
    sam_result, findings = lint_results[variant]
    assert sam_result.returncode == 0, sam_result.stdout + sam_result.stderr
    assert findings == []


@pytest.mark.sam
def test_linters_see_the_changed_defaults(lint_results: dict[str, tuple[Any, list[str]]]) -> None:
    """A copy with an impossible memory size fails: the variants are really linted."""
    sam_result, findings = lint_results["_bad-default"]
    assert sam_result.returncode != 0
    assert any("MemorySize" in f for f in findings)


# ------------------------------------------------------------------ what gets created


@pytest.mark.parametrize("door", list(FRONT_DOOR_RESOURCES))
def test_front_door_parameter_creates_only_that_door(door: str) -> None:
    created = set(deploy({"FrontDoor": door}).resources)
    assert FRONT_DOOR_RESOURCES[door] <= created
    others = set().union(*(r for d, r in FRONT_DOOR_RESOURCES.items() if d != door))
    assert not created & others
    assert not created & OPTIONAL_RESOURCES, "optional features are off by default"
    assert not created & CDN_RESOURCES, "static files come from the function by default"
    assert {"DashFunction", "DashFunctionLogGroup"} <= created


@pytest.mark.parametrize(
    ("variant", "prefixes"),
    [
        ("defaults", "/Prod/"),
        ("stage-name", "/v1/"),
        ("rest-domain", "/Prod/,/"),
        ("rest-domain-base-path", "/Prod/,/dash/"),
        ("http-api", "/"),
        ("http-domain", "/"),
        ("function-url", "/"),
    ],
)
def test_function_is_told_the_prefixes_to_build_at_init(variant: str, prefixes: str) -> None:
    assert function(VARIANTS[variant])["Environment"]["Variables"]["DASH_LAMBDA_PREFIXES"] == prefixes


def test_rest_api_routes_root_and_proxy_to_the_alias_with_binary_media() -> None:
    api = deploy({}).resources["RestApi"]
    assert api["StageName"] == "Prod"
    assert api["BinaryMediaTypes"] == ["*/*"]
    paths = api["DefinitionBody"]["paths"]
    assert set(paths) == {"/", "/{proxy+}"}
    for route in paths.values():
        integration = route["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        assert integration["uri"].endswith("/functions/<DashFunction.Alias>/invocations")


def test_http_api_routes_root_and_proxy_with_payload_2() -> None:
    paths = deploy({"FrontDoor": "HttpApi"}).resources["HttpApi"]["DefinitionBody"]["paths"]
    assert set(paths) == {"/", "/{proxy+}"}
    for route in paths.values():
        integration = route["x-amazon-apigateway-any-method"]["x-amazon-apigateway-integration"]
        assert integration["payloadFormatVersion"] == "2.0"
        assert integration["uri"] == "<DashFunction.Alias>"


def test_function_url_is_public_on_the_alias() -> None:
    resources = deploy({"FrontDoor": "FunctionUrl"}).resources
    assert resources["DashFunctionUrl"]["AuthType"] == "NONE"
    assert resources["DashFunctionUrl"]["Qualifier"] == "live"
    assert resources["FunctionUrlPublicAccess"]["Action"] == "lambda:InvokeFunctionUrl"
    assert resources["FunctionUrlInvokeAccess"]["InvokedViaFunctionUrl"] is True


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("rest-domain", {"RestDomain", "RestBasePathMapping", "DnsRecord"}),
        ("rest-domain-no-dns", {"RestDomain", "RestBasePathMapping"}),
        ("rest-domain-base-path", {"RestDomain", "RestBasePathMapping", "DnsRecord"}),
        ("http-domain", {"HttpDomain", "HttpApiMapping", "DnsRecord"}),
    ],
)
def test_custom_domain_resources_only_when_given(variant: str, expected: set[str]) -> None:
    resources = deploy(VARIANTS[variant]).resources
    assert set(resources) & OPTIONAL_RESOURCES == expected
    domain = resources.get("RestDomain") or resources["HttpDomain"]
    assert domain["DomainName"] == "dash.example.com"
    if "DnsRecord" in resources:
        record = resources["DnsRecord"]
        assert (record["Name"], record["Type"], record["HostedZoneId"]) == (
            "dash.example.com",
            "A",
            ZONE["HostedZoneId"],
        )
        kind = "RestDomain" if "RestDomain" in resources else "HttpDomain"
        assert record["AliasTarget"]["DNSName"] == f"<{kind}.RegionalDomainName>"


def test_base_path_mapping() -> None:
    assert "BasePath" not in deploy(VARIANTS["rest-domain"]).resources["RestBasePathMapping"]
    mapping = deploy(VARIANTS["rest-domain-base-path"]).resources["RestBasePathMapping"]
    assert mapping["BasePath"] == "dash"
    assert mapping["Stage"] == "<RestApi.Stage>"


def test_data_bucket_read_is_scoped_to_the_one_object() -> None:
    props = function(DATA)
    assert props["Environment"]["Variables"]["DATA_BUCKET"] == "example-dash-data"
    assert props["Environment"]["Variables"]["DATA_KEY"] == "exports/population.csv"
    [policy] = props["Policies"]
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == "arn:<AWS::Partition>:s3:::example-dash-data/exports/population.csv"


def test_no_data_bucket_means_no_s3_access_and_the_bundled_csv() -> None:
    props = function({})
    assert props["Policies"] == []
    assert props["Environment"]["Variables"]["DATA_BUCKET"] == ""
    assert props["Environment"]["Variables"]["DATA_KEY"] == ""


BACKGROUND_RESOURCES = {"JobsBucket", "JobsBucketPolicy", "SelfInvokePolicy"}


def test_without_background_callbacks_no_bucket_and_no_self_invoke() -> None:
    deployment = deploy({})
    assert not BACKGROUND_RESOURCES & set(deployment.resources)
    assert "JobsBucketName" not in deployment.outputs
    assert function({})["Environment"]["Variables"]["DASH_LAMBDA_JOBS_BUCKET"] == ""


def test_background_callbacks_get_an_expiring_private_bucket() -> None:
    deployment = deploy(VARIANTS["background-callbacks"])
    assert set(deployment.resources) >= BACKGROUND_RESOURCES
    bucket = deployment.resources["JobsBucket"]
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", 1)
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    [deny] = deployment.resources["JobsBucketPolicy"]["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert deployment.outputs["JobsBucketName"] == "<JobsBucket>"
    assert deployment.template["Resources"]["JobsBucket"]["DeletionPolicy"] == "Delete"


def test_background_callbacks_reach_only_their_bucket_and_invoke_only_this_function() -> None:
    props = function(VARIANTS["background-callbacks"])
    assert props["Environment"]["Variables"]["DASH_LAMBDA_JOBS_BUCKET"] == "<JobsBucket>"
    [policy] = props["Policies"]
    objects, listing = policy["Statement"]
    assert objects["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    assert objects["Resource"] == "<JobsBucket.Arn>/*"
    assert (listing["Action"], listing["Resource"]) == ("s3:ListBucket", "<JobsBucket.Arn>")
    invoke = deploy(VARIANTS["background-callbacks"]).resources["SelfInvokePolicy"]
    assert invoke["Roles"] == ["<DashFunctionRole>"]  # the role SAM makes for DashFunction
    [statement] = invoke["PolicyDocument"]["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    # The function and its versions and aliases: a job runs in the version that started it.
    assert statement["Resource"] == ["<DashFunction.Arn>", "<DashFunction.Arn>:*"]


def test_background_callbacks_keep_the_data_bucket_policy() -> None:
    props = function(VARIANTS["background-callbacks-everything"])
    data, jobs = props["Policies"]
    assert data["Statement"][0]["Resource"].endswith(":s3:::example-dash-data/exports/population.csv")
    assert jobs["Statement"][0]["Resource"] == "<JobsBucket.Arn>/*"


def test_keep_warm_schedule_invokes_the_alias() -> None:
    resources = deploy(VARIANTS["keep-warm"]).resources
    rule = resources["KeepWarmRule"]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert [t["Arn"] for t in rule["Targets"]] == ["<DashFunction.Alias>"]
    permission = resources["KeepWarmPermission"]
    assert (permission["Principal"], permission["SourceArn"]) == (
        "events.amazonaws.com",
        "<KeepWarmRule.Arn>",
    )


def test_snapstart_on_published_versions_only_when_enabled() -> None:
    assert function({})["SnapStart"] == {"ApplyOn": "None"}
    props = function({"EnableSnapStart": "true"})
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["AutoPublishAlias"] == "live"
    assert props["AutoPublishAliasAllProperties"] is True


def test_basic_auth_credentials_are_no_echo(template: dict[str, Any]) -> None:
    assert template["Parameters"]["BasicAuthCredentials"]["NoEcho"] is True
    assert template["Parameters"]["BasicAuthCredentials"]["Default"] == ""
    assert function({})["Environment"]["Variables"]["DASH_LAMBDA_BASIC_AUTH"] == ""
    variables = function(VARIANTS["basic-auth"])["Environment"]["Variables"]
    assert variables["DASH_LAMBDA_BASIC_AUTH"] == "admin:correct-horse"


def test_memory_and_timeout_are_parameters() -> None:
    props = function(VARIANTS["sizes"])
    assert (props["MemorySize"], props["Timeout"]) == ("2048", "29")


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("defaults", {"AppUrl": "https://<RestApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>/Prod/"}),
        ("http-api", {"AppUrl": "https://<HttpApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>/"}),
        ("function-url", {"AppUrl": "<DashFunctionUrl.FunctionUrl>"}),
        (
            "rest-domain-base-path",
            {
                "CustomDomainUrl": "https://dash.example.com/dash/",
                "CustomDomainTarget": "<RestDomain.RegionalDomainName>",
            },
        ),
        ("http-domain", {"CustomDomainUrl": "https://dash.example.com/"}),
    ],
)
def test_outputs_give_the_urls_to_open(variant: str, expected: dict[str, str]) -> None:
    outputs = deploy(VARIANTS[variant]).outputs
    assert expected.items() <= outputs.items()
    if "DomainName" not in VARIANTS[variant]:
        assert "CustomDomainUrl" not in outputs


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_rules_accept_every_supported_combination(variant: str) -> None:
    assert deploy(VARIANTS[variant]).failed_rules() == []


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ({"DomainName": "dash.example.com"}, "CustomDomainNeedsCertificate"),
        ({**DOMAIN, "FrontDoor": "FunctionUrl"}, "CustomDomainNeedsApiGateway"),
        ({**DOMAIN, "FrontDoor": "HttpApi", "BasePath": "dash"}, "BasePathNeedsRestDomain"),
        ({"BasePath": "dash"}, "BasePathNeedsRestDomain"),
        (ZONE, "HostedZoneNeedsDomain"),
        ({"DataBucketName": "example-dash-data", "DataObjectKey": ""}, "DataBucketNeedsKey"),
        ({**CDN, **DOMAIN}, "CdnTakesTheDomain"),
        ({**CDN, "BasicAuthCredentials": "admin:correct-horse"}, "CdnFilesArePublic"),
        ({**CDN_DOMAIN, "StaticFiles": "Lambda"}, "CdnDomainNeedsCdnAndCertificate"),
        ({**CDN, "CdnDomainName": "dash.example.com"}, "CdnDomainNeedsCdnAndCertificate"),
        ({**CDN, "CdnCertificateArn": CDN_DOMAIN["CdnCertificateArn"]}, "CdnCertificateNeedsDomain"),
    ],
)
def test_rules_refuse_impossible_combinations(values: dict[str, str], rule: str) -> None:
    assert rule in deploy(values).failed_rules()


# ------------------------------------------------------------------ StaticFiles=Cdn

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
STATIC_PATTERNS = ["/_dash-component-suites/*", "/assets/*", "/_favicon.ico"]


def distribution(values: dict[str, str]) -> dict[str, Any]:
    config: dict[str, Any] = deploy(values).resources["CdnDistribution"]["DistributionConfig"]
    return config


@pytest.mark.parametrize("variant", ["cdn", "cdn-http-api", "cdn-function-url", "cdn-domain"])
def test_cdn_creates_bucket_distribution_and_uploader(variant: str) -> None:
    created = set(deploy(VARIANTS[variant]).resources)
    assert created >= CDN_RESOURCES
    door = VARIANTS[variant].get("FrontDoor", "RestApi")
    assert created >= FRONT_DOOR_RESOURCES[door], "CloudFront sits in front of the front door, not instead"


def test_static_paths_come_from_the_bucket_with_the_function_as_fallback() -> None:
    config = distribution(CDN)
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert list(behaviours) == STATIC_PATTERNS
    [group] = config["OriginGroups"]["Items"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["StaticFiles", "App"]
    assert sorted(group["FailoverCriteria"]["StatusCodes"]["Items"]) == [403, 404]
    for behaviour in behaviours.values():
        assert behaviour["TargetOriginId"] == group["Id"]
        assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
        assert behaviour["Compress"] is True
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert "OriginRequestPolicyId" not in behaviour, "S3 gets no cookies or viewer headers"


def test_everything_else_reaches_the_function_uncached_with_all_it_needs() -> None:
    default = distribution(CDN)["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "App"
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert {"GET", "HEAD", "POST", "OPTIONS"} <= set(default["AllowedMethods"])


@pytest.mark.parametrize(
    ("values", "domain", "origin_path"),
    [
        (CDN, "<RestApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>", "/Prod"),
        ({**CDN, "StageName": "v1"}, "<RestApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>", "/v1"),
        ({**CDN, "FrontDoor": "HttpApi"}, "<HttpApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>", None),
        (
            {**CDN, "FrontDoor": "FunctionUrl"},
            {"Fn::Select": [2, {"Fn::Split": ["/", "<DashFunctionUrl.FunctionUrl>"]}]},
            None,
        ),
    ],
    ids=["rest", "rest-stage-v1", "http-api", "function-url"],
)
def test_app_origin_is_the_front_door(values: dict[str, str], domain: Any, origin_path: str | None) -> None:
    origins = {o["Id"]: o for o in distribution(values)["Origins"]}
    assert origins["App"]["DomainName"] == domain
    assert origins["App"].get("OriginPath") == origin_path
    assert origins["App"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["StaticFiles"]["DomainName"] == "<StaticFilesBucket.RegionalDomainName>"
    assert origins["StaticFiles"]["OriginAccessControlId"] == "<StaticFilesOriginAccessControl.Id>"


@pytest.mark.parametrize("variant", ["cdn", "cdn-http-api", "cdn-function-url", "cdn-domain"])
def test_behind_the_cdn_the_app_is_at_the_root(variant: str) -> None:
    variables = function(VARIANTS[variant])["Environment"]["Variables"]
    assert (variables["DASH_LAMBDA_PREFIX"], variables["DASH_LAMBDA_PREFIXES"]) == ("/", "/")


def test_without_the_cdn_the_prefix_is_detected() -> None:
    assert function({})["Environment"]["Variables"]["DASH_LAMBDA_PREFIX"] == ""


def test_bucket_is_private_and_readable_by_the_distribution_only() -> None:
    resources = deploy(CDN).resources
    block = resources["StaticFilesBucket"]["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    allow, deny = resources["StaticFilesBucketPolicy"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Condition"]["StringEquals"]["AWS:SourceArn"] == (
        "arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<CdnDistribution>"
    )
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"
    access = resources["StaticFilesOriginAccessControl"]["OriginAccessControlConfig"]
    assert (access["OriginAccessControlOriginType"], access["SigningBehavior"]) == ("s3", "always")


def test_every_deploy_of_a_new_version_refills_the_bucket() -> None:
    resources = deploy(CDN).resources
    upload = resources["StaticFilesUpload"]
    assert upload["ServiceToken"] == "<StaticFilesUploader.Arn>"
    assert upload["Bucket"] == "<StaticFilesBucket>"
    assert upload["DistributionId"] == "<CdnDistribution>"
    assert upload["AppFunctionVersion"] == "<DashFunction.Version>"
    uploader = resources["StaticFilesUploader"]
    assert uploader["Handler"] == "cdn_upload.handler"
    [policy] = uploader["Policies"]
    allowed = {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}
    assert allowed["ReadTheAppPackage"][0] == "lambda:GetFunction"
    assert allowed["FillTheBucket"] == (["s3:PutObject", "s3:DeleteObject"], "<StaticFilesBucket.Arn>/*")
    assert allowed["InvalidateTheStaticPaths"][1].endswith(":distribution/<CdnDistribution>")


def test_uploader_is_built_from_the_library_module(template: dict[str, Any]) -> None:
    resource = template["Resources"]["StaticFilesUploader"]
    module = resource["Properties"]["Handler"].split(".")[0]
    assert resource["Metadata"]["BuildMethod"] == "makefile"
    makefile = (
        FRONTEND / resource["Properties"]["CodeUri"].removeprefix("frontend/") / "Makefile"
    ).read_text()
    assert re.search(r"^build-StaticFilesUploader:", makefile, re.M)
    assert f"src/dash_lambda/{module}.py" in makefile
    assert (REPO / "src" / "dash_lambda" / f"{module}.py").exists()


def test_cdn_custom_domain() -> None:
    config = distribution(CDN_DOMAIN)
    assert config["Aliases"] == ["dash.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CDN_DOMAIN["CdnCertificateArn"]
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    assert "Aliases" not in distribution(CDN)
    assert distribution(CDN)["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def test_cdn_domain_gets_ipv4_and_ipv6_alias_records_only_with_a_hosted_zone() -> None:
    assert not set(deploy(CDN_DOMAIN).resources) & {"CdnDnsRecord", "CdnDnsRecordIpv6", "DnsRecord"}
    resources = deploy({**CDN_DOMAIN, **ZONE}).resources
    assert "DnsRecord" not in resources  # that one is API Gateway's custom domain
    records = [resources["CdnDnsRecord"], resources["CdnDnsRecordIpv6"]]
    assert [(r["Name"], r["Type"], r["HostedZoneId"]) for r in records] == [
        ("dash.example.com", "A", ZONE["HostedZoneId"]),
        ("dash.example.com", "AAAA", ZONE["HostedZoneId"]),
    ]
    for record in records:
        assert record["AliasTarget"] == {
            "DNSName": "<CdnDistribution.DomainName>",
            "HostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's, the same in every account
        }
    assert distribution({**CDN_DOMAIN, **ZONE})["IPV6Enabled"] is True


@pytest.mark.parametrize(
    ("variant", "url"),
    [
        ("cdn", "https://<CdnDistribution.DomainName>/"),
        ("cdn-domain", "https://dash.example.com/"),
    ],
)
def test_cdn_url_output(variant: str, url: str) -> None:
    outputs = deploy(VARIANTS[variant]).outputs
    assert outputs["CdnUrl"] == url
    assert ("CdnDomainTarget" in outputs) == (variant == "cdn-domain")
    assert "CdnUrl" not in deploy({}).outputs


def test_cdn_certificate_must_be_in_cloudfronts_region(template: dict[str, Any]) -> None:
    pattern = re.compile(template["Parameters"]["CdnCertificateArn"]["AllowedPattern"])
    assert pattern.match(CDN_DOMAIN["CdnCertificateArn"])
    assert not pattern.match(CDN_DOMAIN["CdnCertificateArn"].replace("us-east-1", "eu-west-1"))


# ------------------------------------------------------------------ wiring with frontend/


def test_function_code_handler_and_build(template: dict[str, Any]) -> None:
    resource = template["Resources"]["DashFunction"]
    props = resource["Properties"]
    assert props["CodeUri"] == "frontend/"
    module, attribute = props["Handler"].split(".")
    assert re.search(rf"^{attribute} = ", (FRONTEND / f"{module}.py").read_text(), re.M)
    assert re.fullmatch(r"python3\.(\d+)", props["Runtime"])
    assert int(props["Runtime"].split(".")[1]) >= 12
    assert resource["Metadata"]["BuildMethod"] == "makefile"


def test_makefile_targets_the_template_runtime_and_architecture(template: dict[str, Any]) -> None:
    props = template["Resources"]["DashFunction"]["Properties"]
    makefile = (FRONTEND / "Makefile").read_text()
    assert re.search(r"^build-DashFunction:", makefile, re.M)
    version = re.search(r"^LAMBDA_PYTHON_VERSION \?= (\S+)", makefile, re.M)
    arch = re.search(r"^LAMBDA_ARCH \?= (\S+)", makefile, re.M)
    assert version and f"python{version[1]}" == props["Runtime"]
    assert arch and [arch[1]] == props["Architectures"]


# ------------------------------------------------------------------ nothing personal


@pytest.mark.parametrize("path", [TEMPLATE, REPO / "samconfig.toml"], ids=lambda p: p.name)
def test_no_account_ids_regions_or_credentials(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"(?<![\d{])\d{12}(?!\d)", text), "a 12-digit account id"
    # CloudFront takes certificates from one region only; the parameter's pattern says so.
    text = text.replace("acm:us-east-1:[0-9]{12}", "acm:REGION:[0-9]{12}")
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af)-[a-z]+-\d\b", text), "a region name"
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    assert not re.search(r"[a-z0-9]{10}\.(execute-api|lambda-url)\.", text), "a real endpoint"


def test_samconfig_defaults() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    default = config["default"]
    assert default["global"]["parameters"]["stack_name"]
    deploy_params = default["deploy"]["parameters"]
    assert "CAPABILITY_IAM" in deploy_params["capabilities"]
    assert deploy_params["resolve_s3"] is True
    assert deploy_params["confirm_changeset"] is True

    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)

    assert not {"region", "profile", "s3_bucket"} & set(keys(config))
