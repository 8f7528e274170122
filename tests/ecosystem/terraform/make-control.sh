#!/usr/bin/env bash
# tests/ecosystem/terraform/make-control.sh: remake plan.json, Terraform's own plan document
# of a terraform_data config comparable to the plans tests/ecosystem.rs gives the tools (the
# control: every tool must read it too). Needs terraform 1.11 on PATH and no network:
# terraform_data and terraform_remote_state are built into Terraform.
#   apply before/ (with shared/), copy its state to before.tfstate (the data source reads
#   it), plan after/ (with shared/) against the same state, and write `terraform show -json`
#   of that plan to plan.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
terraform version | head -1 | grep -q '^Terraform v1\.11\.' || {
  echo "$0: needs Terraform 1.11 (found: $(terraform version | head -1))" >&2
  exit 1
}
cp -r "$here/shared/." "$here/before/." "$work/"
cd "$work"
export TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE=/dev/null
terraform init -input=false >/dev/null
terraform apply -input=false -auto-approve >/dev/null
cp terraform.tfstate before.tfstate
rm -f changes.tf
cp -r "$here/shared/." "$here/after/." "$work/"
terraform init -input=false >/dev/null
terraform plan -input=false -out=plan.out >/dev/null
terraform show -json plan.out >"$here/plan.json"
echo "wrote $here/plan.json"
