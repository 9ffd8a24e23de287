#!/bin/sh
# live_agent_smoke: runs mmspec-live on tests/live/smoke.mmt (and two small generated traces)
# and checks the records against values confirmed on Linux 6.18.44 x86-64 (Debian 12 user
# space, root, 4-level paging, THP madvise). They should hold on any x86-64 kernel that allows
# PR_SET_MM_MAP (CONFIG_CHECKPOINT_RESTORE): the window is fixed and every mapping in it is
# MAP_FIXED, so nothing depends on the machine's layout.
#
# usage: smoke.sh MMSPEC-LIVE SMOKE.mmt      exit 0 ok, 1 failure, 77 skipped
set -u

if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "SKIP: mmspec-live runs on Linux x86-64 only (this is $(uname -s) $(uname -m))"
  exit 77
fi
agent=$1
trace=$2
if [ ! -x "$agent" ]; then
  echo "FAIL: no agent at '$agent'"
  exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# A refused operation: the static agent's own text starts at 0x400000 (non-PIE).
printf 'window 0x7e0000000000 1G\nmunmap 0x400000 4K\nX = mmap +0 4K r-- private anon fixed -> +0\n' \
  > "$tmp/refuse.mmt"
# A trace that does not parse.
printf 'window 0x7e0000000000 1G\nfrobnicate 1 2 3\n' > "$tmp/bad.mmt"

"$agent" --timeout 20 "$trace" "$tmp/refuse.mmt" "$tmp/bad.mmt" > "$tmp/out" 2> "$tmp/err"
rc=$?
fail=0
bad() {
  echo "FAIL: $*"
  fail=1
}
if [ $rc -ne 0 ]; then
  bad "mmspec-live exited with status $rc"
  cat "$tmp/err"
fi

# Exact records (result INDEX LINE ...; indices and lines of smoke.mmt).
while IFS= read -r want; do
  [ -z "$want" ] && continue
  grep -Fxq -- "$want" "$tmp/out" || bad "missing record: $want"
done <<'EOF'
mmspec-live 1
result 0 7 value 0x7e0000000000
result 1 8 touch ok
result 2 11 value 0x7e0000100000
result 3 12 value 0x0
result 4 13 touch SEGV_ACCERR
result 5 14 touch ok
result 6 17 value 0x7e0000200000
result 7 18 touch ok
result 8 19 touch SIGBUS
result 9 22 value 0x7e0000300000
result 10 23 touch ok
result 11 24 touch SEGV_ACCERR
result 12 25 touch SEGV_MAPERR
result 13 27 none
maps 0
result 14 36 value 0x0
result 15 37 none
result 16 38 value 0x7e0000502000
result 17 39 touch ok
result 0 2 refused overlaps-agent
result 1 3 value 0x7e0000000000
exit not-run
done
EOF

# The expect-maps snapshot, restricted to the window: the 3-page mapping split around its
# PROT_NONE middle page, the file mapping at page 1 (vm_pgoff 1, shown as offset 0x1000).
awk '/^maps 0$/ {on = 1; next} on && /^end$/ {exit} on && /^vma 7e00/ {sub(/ +$/, ""); print}' \
  "$tmp/out" | sed -E 's/ 00:[0-9a-f]+ [0-9]+ +\/memfd/ DEV INODE \/memfd/' > "$tmp/window"
cat > "$tmp/window.want" <<'EOF'
vma 7e0000000000-7e0000002000 rw-p 00000000 00:00 0
vma 7e0000100000-7e0000101000 rw-p 00000000 00:00 0
vma 7e0000101000-7e0000102000 ---p 00000000 00:00 0
vma 7e0000102000-7e0000103000 rw-p 00000000 00:00 0
vma 7e0000200000-7e0000204000 rw-s 00001000 DEV INODE /memfd:f1 (deleted)
vma 7e0000300000-7e0000301000 rwxp 00000000 00:00 0
EOF
if ! cmp -s "$tmp/window" "$tmp/window.want"; then
  bad "the maps 0 snapshot of the window differs (got < > want):"
  diff "$tmp/window" "$tmp/window.want"
fi
# smaps VmFlags of the PROT_NONE page: no access rights left (6.18.44 shows "mr mw me").
flags=$(awk '/^maps 0$/ {on = 1; next} on && /^vma 7e0000101000-/ {getline; print; exit}' "$tmp/out")
case "$flags" in
  "flags "*) ;;
  *) bad "no flags record after the PROT_NONE page: got '$flags'" ;;
esac
case " $flags " in
  *" rd "* | *" wr "* | *" ex "*) bad "VmFlags of the PROT_NONE page grant access: '$flags'" ;;
esac

# The heap moved into the window by `heap +0x500000`, grown by brk to +0x502000.
awk '/^final$/ {on = 1; next} on && /^end$/ {exit} on {print}' "$tmp/out" > "$tmp/final"
grep -Eq '^vma 7e0000500000-7e0000502000 rw-p 00000000 00:00 0 +\[heap\]$' "$tmp/final" ||
  bad "no [heap] VMA at 7e0000500000-7e0000502000 in the final snapshot"
grep -q '^vma 7e0000000000-' "$tmp/final" && bad "A is still mapped after munmap"

# Layout keys the model needs, and the runs' statuses.
layout=$(grep -m1 '^layout ' "$tmp/out")
for key in task_size rlimit_stack mmap_min_addr_sysctl mmap_min_addr start_brk brk start_stack \
           max_map_count overcommit_memory randomized release; do
  case " $layout " in
    *" $key="*) ;;
    *) bad "layout lacks $key" ;;
  esac
done
case " $layout " in
  *" randomized=0 "*) ;;
  *) bad "the agent did not disable randomization: $layout" ;;
esac
[ "$(grep -c '^exit 0$' "$tmp/out")" = 2 ] || bad "want two 'exit 0' records"
errs=$(grep -c '^error ' "$tmp/out")
[ "$errs" = 1 ] || bad "want exactly one error record (the unparsable trace), got $errs"

if [ $fail -ne 0 ]; then
  echo "--- output of mmspec-live:"
  cat "$tmp/out"
  exit 1
fi
echo "ok: mmspec-live smoke records match"
exit 0
