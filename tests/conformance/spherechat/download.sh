# Download Excel
curl -X GET \
"https://spherechat.sphereskill.tech:1082/api/pdf/download/FILE_ID" \
-H "Authorization: Bearer YOUR_API_TOKEN" \
-o invoice.xlsx
