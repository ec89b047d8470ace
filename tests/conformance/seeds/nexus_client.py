# quantum-nexus.txt, "Code Examples", Python: the seed's QuantumAIClient as written (its text and
# image methods), then its "# Usage" lines, then analyze_image on a PNG made by make_image.py
# ("STOP" in white on red), with and without a question.
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
    def analyze_image(self, image_path, question=None):
        with open(image_path, 'rb') as f:
            files = {'image': f}
            data = {'session_id': self.session_id}
            if question:
                data['question'] = question
                endpoint = '/api/process/image-with-text'
            else:
                endpoint = '/api/process/image'
            response = requests.post(
                f'{self.base_url}{endpoint}',
                files=files,
                data=data
            )
        job_data = response.json()
        return self.poll_job_status(job_data['job_id'])
    def poll_job_status(self, job_id, max_attempts=60):
        for _ in range(max_attempts):
            response = requests.get(f'{self.base_url}/api/status/{job_id}')
            data = response.json()
            if data['status'] == 'completed':
                return data['result']
            elif data['status'] == 'error':
                raise Exception(data['error'])
            time.sleep(1)
        raise Exception('Job timeout')
# Usage
client = QuantumAIClient(os.environ["BASE"])
client.create_session()
response = client.send_message('What is machine learning?')
print(response)
# ---- end of the example ----

assert client.session_id, "create_session gave no session_id"
assert response and "improve from examples" in response, response
assert "[1]" in response, response

image = os.path.join(os.environ["WORK"], "stop.png")
result = client.analyze_image(image)
print(json.dumps(result["analysis"]))
assert result["type"] == "image_analysis", result
analysis = result["analysis"]
assert analysis["width"] == 640 and analysis["height"] == 320, analysis
assert analysis["format"] == "png", analysis
assert analysis["dominant_colors"][0] == "red", analysis["dominant_colors"]
assert "white" in analysis["dominant_colors"], analysis["dominant_colors"]
assert isinstance(analysis["text_content"], str), analysis
assert result["enhanced_image_base64"].startswith("data:image/jpeg;base64,"), result["enhanced_image_base64"][:40]
assert result["formatted_html"].startswith("<div class='image-analysis-result'>"), result["formatted_html"]
answered = client.analyze_image(image, question="What objects are in this image?")
assert answered["question"] == "What objects are in this image?", answered
assert "vision.url" in answered["answer"], answered["answer"]
