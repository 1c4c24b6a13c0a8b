<?php
// The lab's abandoned contact-form helper (DESIGN.md §1): the contact page was
// taken down long ago, this file was left behind. Recipient, Cc and sender
// come from the POST, so anyone can make it send anything to anyone.
$admin = 'info@seikan-lab.example';
$to = (isset($_POST['mailto']) && $_POST['mailto'] != '') ? $_POST['mailto'] : $admin;
$name = isset($_POST['name']) ? $_POST['name'] : '';
$email = (isset($_POST['email']) && $_POST['email'] != '') ? $_POST['email'] : $admin;
$subject = (isset($_POST['subject']) && $_POST['subject'] != '') ? $_POST['subject'] : 'ホームページからのお問い合わせ';
$message = isset($_POST['message']) ? $_POST['message'] : '';
$headers = "From: " . $name . " <" . $email . ">\n";
if (isset($_POST['cc']) && $_POST['cc'] != '') {
    $headers .= "Cc: " . $_POST['cc'] . "\n";
}
$headers .= "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8";
if (mail($to, '=?UTF-8?B?' . base64_encode($subject) . '?=', $message, $headers, '-f' . $admin)) {
    header('Location: thanks.html');
} else {
    header('Location: error.html');
}
exit;
