<?php
// Receives the contact form and mails it to the clinic through the bundled
// mailer (lib/mailer.php). Recipient and sender are fixed; the visitor's
// address is checked and goes into Reply-To only.
require __DIR__ . '/lib/mailer.php';
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    header('Location: /contact.php');
    exit;
}
$email = filter_var(isset($_POST['email']) ? $_POST['email'] : '', FILTER_VALIDATE_EMAIL);
$name = preg_replace('/[\r\n]+/', ' ', isset($_POST['name']) ? $_POST['name'] : '');
$text = isset($_POST['message']) ? (string) $_POST['message'] : '';
if ($email === false || $text === '') {
    http_response_code(400);
    echo 'Please fill in every field.';
    exit;
}
$m = new LabMailer();
$m->setFrom('info@dental-lab.example', 'Dental clinic website');
$m->addAddress('info@dental-lab.example');
$m->addReplyTo($email, $name);
$m->Subject = 'Website contact from ' . $name;
$m->Body = $text;
$m->send();
header('Location: /contact.php?sent=1');
