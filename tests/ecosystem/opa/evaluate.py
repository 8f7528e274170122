"""Evaluate tests/ecosystem/opa/plan.rego's `summary` on a plan document with regorus (the
opa-eval package) and print the result as JSON: python evaluate.py POLICY PLAN.json"""
import json
import sys

import opa_eval

policy, plan = sys.argv[1], sys.argv[2]
with open(plan, encoding="utf-8") as f:
    document = f.read()
result = opa_eval.OpaEval(policy, query="data.strata.plan.summary").evaluate_parsed(document)
print(json.dumps(result, sort_keys=True))
