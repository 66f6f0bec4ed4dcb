# Run by imapsieve (90-mailseal-imapsieve.conf) after an APPEND or COPY to Sent: start
# mailseal-maildir on the user's Sent folder. The program detaches at once.
require ["vnd.dovecot.execute"];
execute "mailseal-maildir-sent";
