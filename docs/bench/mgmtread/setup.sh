#!/bin/bash
# setup.sh BIN PORT DIR [DBURL]: starts `BIN serve` (no rate limit) on DIR (and
# PostgreSQL DBURL), creates a user with the method, gets an application token
# (client credentials, the bootstrap application), and writes DIR.env (PID,
# TOKEN, URL of the GET) and DIR.body (its answer, for the bare handler).
set -e
BIN=$1; PORT=$2; DATA=$3; DB=$4
rm -rf $DATA; mkdir -p $DATA
ARGS="--data $DATA --addr 127.0.0.1:$PORT --rate-limit 0"
[ -n "$DB" ] && ARGS="$ARGS --db $DB"
$BIN serve $ARGS >$DATA.out 2>/dev/null &
SPID=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.2; done
B=http://127.0.0.1:$PORT
J=$DATA/bootstrap-admin.json
TENANT=$(sed -n 's/.*"tenantId": "\(.*\)".*/\1/p' $J)
CID=$(sed -n 's/.*"clientId": "\(.*\)".*/\1/p' $J)
CS=$(sed -n 's/.*"clientSecret": "\(.*\)".*/\1/p' $J)
TOKEN=$(curl -s $B/$TENANT/oauth2/v2.0/token -d grant_type=client_credentials -d client_id=$CID -d client_secret=$CS -d scope=https://graph.microsoft.com/.default | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
UID_=$(curl -s -X POST $B/v1.0/users -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"accountEnabled":true,"displayName":"Bench","userPrincipalName":"bench@contoso.com","passwordProfile":{"password":"x"}}' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
curl -s -o /dev/null -w '%{http_code}\n' -X PUT $B/v1.0/users/$UID_/authentication/qrCodePinMethod -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"standardQRCode":{}}'
URL=$B/v1.0/users/$UID_/authentication/qrCodePinMethod
curl -s $URL -H "Authorization: Bearer $TOKEN" > $DATA.body
echo "PID=$SPID TOKEN=$TOKEN URL=$URL" > $DATA.env
cat $DATA.body; echo
