<?php
// Who is asking, and whether the panel lets them near a subscription. The
// sidecar decides what each identity may see from psa itself (docs/signature.md
// "Authorization"); these checks are the panel's own gate in front of it, so a
// page or an API call for a subscription the session cannot reach never
// leaves PHP.
class Modules_Sendtrace_Access
{
    /** ['login', 'role', 'clientId'] of a panel user (docs/signature.md "Headers"). */
    public static function identityOf(pm_Client $client)
    {
        $role = $client->isAdmin() ? 'admin' : ($client->isReseller() ? 'reseller' : 'client');
        return ['login' => (string) $client->getLogin(), 'role' => $role, 'clientId' => (int) $client->getId()];
    }

    /** The subscription (psa Subscriptions.id, as the sidecar's URLs name it) an API target is about, or null. */
    public static function subscriptionInTarget($target)
    {
        return preg_match('~^/api/subscriptions/([1-9][0-9]{0,9})(?:[/?]|$)~', $target, $m) ? (int) $m[1] : null;
    }

    /** The main domain (domains.id) of a hosting subscription, or null (reference/plesk.md §3.2 [V]). */
    public static function mainDomainOf($subscriptionId)
    {
        $id = pm_Bootstrap::getDbAdapter()->fetchOne(
            "SELECT object_id FROM Subscriptions WHERE id = ? AND object_type = 'domain'",
            [(int) $subscriptionId]
        );
        return $id === false || $id === null || $id === '' ? null : (int) $id;
    }

    /**
     * The hosting subscription a domain belongs to: its own when it is a main domain
     * (webspace_id = 0), else its webspace's (reference/plesk.md §3.2, webspace_id [I]).
     */
    public static function subscriptionOfDomain($domainId)
    {
        $id = pm_Bootstrap::getDbAdapter()->fetchOne(
            "SELECT s.id FROM domains d JOIN Subscriptions s ON s.object_type = 'domain' AND (s.object_id = d.id OR s.object_id = d.webspace_id) WHERE d.id = ?",
            [(int) $domainId]
        );
        return $id === false || $id === null || $id === '' ? null : (int) $id;
    }

    /**
     * May this user open the subscription? The admin: always. Others: the panel must give
     * the session access to its main domain (pm_Client::hasAccessToDomain [V stubs]), and a
     * customer's plan must not have switched sendtrace off (the permission, Permissions hook).
     */
    public static function mayUseSubscription(pm_Client $client, $subscriptionId)
    {
        if ($client->isAdmin()) {
            return true;
        }
        $domainId = self::mainDomainOf($subscriptionId);
        if ($domainId === null || !$client->hasAccessToDomain($domainId)) {
            return false;
        }
        return !$client->isClient() || self::planAllows($domainId);
    }

    /** A customer may use sendtrace at all when one of its subscriptions' plans allows it. */
    public static function mayUseAny(pm_Client $client)
    {
        if (!$client->isClient()) {
            return true;
        }
        foreach (pm_Domain::getDomainsByClient($client, true) as $domain) {
            if ($domain->hasPermission(Modules_Sendtrace_Config::PERMISSION)) {
                return true;
            }
        }
        return false;
    }

    public static function planAllows($domainId)
    {
        return (bool) pm_Domain::getByDomainId($domainId)->hasPermission(Modules_Sendtrace_Config::PERMISSION);
    }
}
