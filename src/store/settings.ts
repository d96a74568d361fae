// Keys of the server-wide settings table.

/** The public URL the server last started with; offline `credentials create` names its host. */
export const PUBLIC_URL_SETTING = "public_url";

/** Set once, by the node that issued the first-start admin credential. */
export const FIRST_ADMIN_SETTING = "first_admin_issued";
