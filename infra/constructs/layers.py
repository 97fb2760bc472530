"""Lambda layers: our `jarchi` package, third-party dependencies, and the public Powertools layer."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constants import (
    ASSET_EXCLUDES,
    CORE_LAYER_DIR,
    DEPS_LAYER_DIR,
    POWERTOOLS_LAYER_ACCOUNT,
    POWERTOOLS_LAYER_NAME,
    POWERTOOLS_LAYER_VERSION,
)

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64


def ensure_deps_layer_dir(path: Path) -> Path:
    """`make layer` fills this folder; an empty one keeps `cdk synth` working offline without it."""
    (path / "python").mkdir(parents=True, exist_ok=True)
    return path


def powertools_layer_arn(version: int) -> str:
    return f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{POWERTOOLS_LAYER_NAME}:{version}"


class Layers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        powertools_version: int = POWERTOOLS_LAYER_VERSION,
        deps_dir: Path = DEPS_LAYER_DIR,
    ) -> None:
        super().__init__(scope, construct_id)
        # Powertools, pydantic and the X-Ray SDK, prebuilt for arm64 / Python 3.12 (no Docker needed).
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "Powertools", powertools_layer_arn(powertools_version)
        )
        # pynamodb, phonenumbers, mutagen, openpyxl: manylinux aarch64 wheels installed by `make layer`.
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(ensure_deps_layer_dir(deps_dir)), exclude=list(ASSET_EXCLUDES)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Jarchi third-party dependencies (make layer)",
        )
        # The domain: layers/core/python/jarchi, importable as `jarchi` in every function.
        self.core = lambda_.LayerVersion(
            self,
            "Core",
            code=lambda_.Code.from_asset(str(CORE_LAYER_DIR), exclude=list(ASSET_EXCLUDES)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Jarchi domain package (jarchi)",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.powertools, self.dependencies, self.core]
