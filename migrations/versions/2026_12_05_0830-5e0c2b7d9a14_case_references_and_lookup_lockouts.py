"""Case references (查询码) for anonymous lookups, lockouts per client address, and the short-lived
access a passed contact check grants.

Existing cases get a random reference each, so every case can be opened by its owner or by the
new lookup; their numbers do not change.

Revision ID: 5e0c2b7d9a14
Revises: e7b2c94d1a60
Create Date: 2026-12-05 08:30:00
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '5e0c2b7d9a14'
down_revision = 'e7b2c94d1a60'
branch_labels = None
depends_on = None


# Frozen copy of bot.cases.references as of this revision (a migration never follows later code).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_reference() -> str:
    while True:
        body = "".join(secrets.choice(_ALPHABET) for _ in range(11))
        if not body.isdigit() and not body.startswith("TS"):
            break
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * _ALPHABET.index(symbol)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return body + _ALPHABET[(32 - total % 32) % 32]


def upgrade() -> None:
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=12), nullable=True))
    connection = op.get_bind()
    case = sa.table('complaint_case', sa.column('id', sa.Integer), sa.column('reference', sa.String))
    ids = connection.execute(sa.select(case.c.id).where(case.c.reference.is_(None))).scalars().all()
    for case_id in ids:
        connection.execute(
            case.update().where(case.c.id == case_id).values(reference=_new_reference())
        )
    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.alter_column('reference', existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_complaint_case_reference'), ['reference'])

    with op.batch_alter_table('complaint_case_check_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_case_check_failure_address_key'), ['address_key'], unique=False)

    op.create_table('complaint_case_access',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_complaint_case_access_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_case_access'))
    )
    with op.batch_alter_table('complaint_case_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_access_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_access_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_case_access_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaint_case_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_access_expires_at'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_access_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_case_access_case_id'))
    op.drop_table('complaint_case_access')

    with op.batch_alter_table('complaint_case_check_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_check_failure_address_key'))
        batch_op.drop_column('address_key')

    with op.batch_alter_table('complaint_case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_complaint_case_reference'), type_='unique')
        batch_op.drop_column('reference')
