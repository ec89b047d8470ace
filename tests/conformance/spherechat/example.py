import requests
url = "https://spherechat.sphereskill.tech:1082/api/pdf/invoice"
headers = {"Authorization": "Bearer YOUR_API_TOKEN"}
with open("invoice.pdf", "rb") as f:
    files = {"file": f}
    response = requests.post(url, headers=headers, files=files)
data = response.json()
print(f"File ID: {data['fileId']}")
# Download the Excel file
download_url = f"https://spherechat.sphereskill.tech:1082/api/pdf/download/{data['fileId']}"
excel_response = requests.get(download_url, headers=headers)
with open("invoice_extracted.xlsx", "wb") as f:
    f.write(excel_response.content)
