<?php
// The lab's legitimate contact form: a person GETs this page, then POSTs it.
// The recipient is fixed; the visitor's text goes only into the body.
$sent = isset($_GET['sent']);
?><!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Contact</title></head><body>
<?php if ($sent): ?><p>Thank you, we will answer soon.</p><?php endif; ?>
<form method="post" action="/send.php">
<input name="name" required> <input name="email" type="email" required>
<textarea name="message" required></textarea>
<button>Send</button>
</form></body></html>
