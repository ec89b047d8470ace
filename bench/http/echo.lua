-- wrk script for the "POST /v1/echo" scenario of bench/http/run.sh:
-- every request carries the same ~300-byte JSON document.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"docent-small","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"Summarise the attached notes in three bullet points."}],"temperature":0.2,"max_tokens":256,"stream":false,"metadata":{"conversation_id":"c_0123456789abcdef","tags":["bench","echo"],"attempt":1}}'
