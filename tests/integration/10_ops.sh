#!/bin/sh
# Operations routes, routing and the error shape.
. "$TOP/tests/lib.sh"

req GET /healthz
expect "healthz answers 200 ok" 200 '.status == "ok"'
case $HDRS in *"application/json"*) ok "healthz is JSON" ;; *) fail "healthz is JSON" "$HDRS" ;; esac

req GET /api/webhooks/nope/deeper/still
expect "unknown route is 404 not_found" 404 '.error.code == "not_found" and (.error.message | length > 0)'

req PATCH /api/webhooks/some-source
expect "wrong method is 405" 405 '.error.code == "method_not_allowed"'
case $HDRS in *"Allow: "*) ok "405 names the allowed methods" ;; *) fail "405 names the allowed methods" "$HDRS" ;; esac

req DELETE /healthz
expect_status "DELETE /healthz is 405" 405

req GET /metrics
expect_status "metrics answers 200" 200
case $HDRS in *"text/plain; version=0.0.4"*) ok "metrics is Prometheus text" ;; *) fail "metrics is Prometheus text" "$HDRS" ;; esac
case $BODY in *"# TYPE webhook_received_total counter"*) ok "metrics declares webhook_received_total" ;; *) fail "metrics declares webhook_received_total" "$BODY" ;; esac

if [ "$SERVER" = apache-cgi ]; then
	req GET /hookpost.conf
	expect_status "shared hosting: the configuration is not served" 403
fi
