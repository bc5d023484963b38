#!/bin/bash
# measure.sh: for each server in $PAIRS ("name:pgdb", pgdb empty for SQLite),
# alternate rounds of it and of the bare handler (listening on $BARE, pid in
# $W/bare.pid), 8 and 16 clients, 3 rounds of 5 s each. $W holds the
# name.env files setup.sh wrote; ./load is built from load/.
W=${W:-/tmp/mr}
BARE=${BARE:-http://127.0.0.1:18400/}
for e in $PAIRS; do
  n=${e%%:*}; db=${e#*:}
  source <(sed 's/ /\n/g' $W/$n.env)
  echo "== $n ($(tr '\0' ' ' < /proc/$PID/cmdline | cut -c1-60)) $(uptime)"
  $W/load/load -url $URL -token $TOKEN -pid $PID -pgdb "$db" -bare $BARE -barepid $(cat $W/bare.pid) \
    -clients 8,16 -d 5s -rounds ${ROUNDS:-3}
done
