# Upload invoice
curl -X POST \
"https://spherechat.sphereskill.tech:1082/api/pdf/invoice" \
-H "Authorization: Bearer YOUR_API_TOKEN" \
-F "file=@invoice.pdf"
