# quantum-nexus.txt, "Code Examples", Python: the seed's QuantumAIClient as written (its text
# methods; the image and voice ones belong to other capabilities), then its "# Usage" lines.
# Changed: the base URL (from $BASE) and the key, which the seed sends as X-API-Key and which is
# added to every request below without touching the example's code.
import os
import functools
import requests

for _name in ("get", "post"):
    _call = getattr(requests, _name)

    @functools.wraps(_call)
    def _with_key(*args, _call=_call, **kwargs):
        kwargs.setdefault("headers", {})["X-API-Key"] = os.environ["KEY"]
        return _call(*args, **kwargs)

    setattr(requests, _name, _with_key)

# ---- the seed's example, re-indented ----
import requests
import time
import json
class QuantumAIClient:
    def __init__(self, base_url='http://localhost:5000'):
        self.base_url = base_url
        self.session_id = None
    def create_session(self):
        response = requests.post(f'{self.base_url}/api/sessions')
        data = response.json()
        self.session_id = data['session_id']
        return self.session_id
    def send_message(self, message):
        response = requests.post(
            f'{self.base_url}/api/process/text',
            json={'message': message, 'session_id': self.session_id},
            stream=True
        )
        full_response = ''
        for line in response.iter_lines():
            if line:
                line = line.decode('utf-8')
                if line.startswith('data: '):
                    data = json.loads(line[6:])
                    if 'word' in data:
                        full_response += data['word']
                    if data.get('complete'):
                        return full_response
# Usage
client = QuantumAIClient(os.environ["BASE"])
client.create_session()
response = client.send_message('What is machine learning?')
print(response)
# ---- end of the example ----

assert client.session_id, "create_session gave no session_id"
assert response and "improve from examples" in response, response
assert "[1]" in response, response
