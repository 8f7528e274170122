#!/usr/bin/env bash
# strata in CI: the steps the GitHub Actions workflow (strata.yml) runs, kept in one script so
# they can be run and tested anywhere.
#
#   strata-ci.sh plan DIR OUT          plan DIR; write OUT/plan.md (markdown: the plan, or what
#                                      failed with every error) and OUT/plan.json (the saved
#                                      plan); exit 0 no changes, 2 changes, 1 error
#   strata-ci.sh comment PR FILE.md    create, or update in place, the one pull-request comment
#                                      that starts with the plan's hidden marker (needs gh, GH_TOKEN)
#   strata-ci.sh fetch SHA OUT         download the saved plan reviewed in the pull request that
#                                      merge commit SHA came from (needs gh)
#   strata-ci.sh apply DIR PLAN        apply exactly that saved plan (refused if the state moved)
#
# STRATA names the strata binary (default: strata); GITHUB_REPOSITORY is owner/name. The
# comment links the run that made it: STRATA_COMMENT_LINK, else the GitHub Actions run
# (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID) when there is one.
set -euo pipefail

STRATA="${STRATA:-strata}"
WORKFLOW="${STRATA_CI_WORKFLOW:-strata.yml}"

usage() {
  sed -n '2,16p' "$0" >&2
  exit 1
}

cmd="${1:-}"
[ -n "$cmd" ] || usage
shift

case "$cmd" in
  plan)
    [ $# -eq 2 ] || usage
    dir="$1"
    out="$2"
    mkdir -p "$out"
    if [ -z "${STRATA_COMMENT_LINK:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
      export STRATA_COMMENT_LINK="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:?}/actions/runs/$GITHUB_RUN_ID"
    fi
    set +e
    NO_COLOR=1 "$STRATA" -C "$dir" plan --out "$out/plan.json" --format markdown \
      --detailed-exitcode >"$out/plan.md"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ] && [ ! -s "$out/plan.md" ]; then
      # strata printed no comment (it did not start, or its command line was refused).
      printf '<!-- strata:plan:%s -->\n### strata plan failed\n\nSee the job log for the errors.\n' \
        "$(basename "$dir")" >"$out/plan.md"
    fi
    exit "$rc"
    ;;

  comment)
    [ $# -eq 2 ] || usage
    pr="$1"
    file="$2"
    repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
    marker="$(head -n 1 "$file")"
    case "$marker" in
      "<!-- strata:plan:"*" -->") ;;
      *) echo "strata-ci: $file does not start with the plan marker" >&2; exit 1 ;;
    esac
    id="$(gh api --paginate "repos/$repo/issues/$pr/comments" \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
    if [ -n "$id" ]; then
      gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$file" >/dev/null
      echo "updated comment $id on pull request #$pr"
    else
      gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$file" >/dev/null
      echo "added a comment to pull request #$pr"
    fi
    ;;

  fetch)
    [ $# -eq 2 ] || usage
    sha="$1"
    out="$2"
    repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"
    head="$(gh api "repos/$repo/commits/$sha/pulls" --jq '.[0].head.sha')"
    [ -n "$head" ] || { echo "strata-ci: $sha came from no pull request: nothing reviewed to apply" >&2; exit 1; }
    run="$(gh run list --repo "$repo" --workflow "$WORKFLOW" --commit "$head" --event pull_request \
      --status success --json databaseId --jq '.[0].databaseId')"
    [ -n "$run" ] || { echo "strata-ci: no successful plan run for $head" >&2; exit 1; }
    mkdir -p "$out"
    gh run download "$run" --repo "$repo" --name "strata-plan-$head" --dir "$out"
    echo "fetched the plan reviewed at $head (run $run)"
    ;;

  apply)
    [ $# -eq 2 ] || usage
    NO_COLOR=1 "$STRATA" -C "$1" apply "$2"
    ;;

  *)
    usage
    ;;
esac
